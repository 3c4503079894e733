"""Browser tests: a real Chromium driven by Playwright against pytest-django's live server.

Chromium is Debian's (``/usr/bin/chromium``; ``SPT_CHROMIUM`` overrides the path) because
``playwright install`` cannot download a browser here. Without the binary the browser tests
are skipped with the reason, except when ``CI`` is set: there they fail, since in CI a browser
test may never be skipped.

Every page load is checked to stay on the live server: a request to any other host is
aborted and fails the test (the portal never loads anything from another site).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Sync Playwright runs an event loop in this thread; the Django ORM calls made by the tests
# (creating users) would otherwise refuse to run. Tests only.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from tests.browser.helpers import DESKTOP, stop_motion  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_DIR = Path(__file__).resolve().parent


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def chromium_path() -> str:
    return os.environ.get("SPT_CHROMIUM") or "/usr/bin/chromium"


def chromium_missing_reason() -> str | None:
    path = chromium_path()
    if Path(path).is_file() and os.access(path, os.X_OK):
        return None
    return (
        f"Chromium not found at {path!r} (set SPT_CHROMIUM to its path, "
        "or `apt-get install -y chromium`)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test, marked or not. Under pytest-xdist they
    all run on one worker (``--dist loadgroup``): two Chromiums and two live servers on two
    cores only slow each other down, while the other worker runs the rest of the suite."""
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """In CI a browser test may never be skipped, whatever skipped it: the skip is a failure."""
    outcome = yield
    report = outcome.get_result()
    if (
        in_ci()
        and report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker("browser") is not None
    ):
        report.outcome = "failed"
        report.longrepr = f"Browser test skipped in CI (CI is set): {report.longrepr}"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch options, pointed at the system Chromium with our flags."""
    reason = chromium_missing_reason()
    if reason is not None:
        if in_ci():
            pytest.fail(f"{reason}; CI is set, so browser tests may not be skipped.")
        pytest.skip(reason)
    options = {k: v for k, v in browser_type_launch_args.items() if k != "channel"}
    return {
        **options,
        "executable_path": chromium_path(),
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """The reference data re-seeded after an earlier transactional test's flush creates the
    working periods with bulk_create (no revision renewal): a calendar cached from the
    half-seeded state is forgotten before each browser test."""
    from slo.calendar import calendar_cache_clear

    calendar_cache_clear()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """French-speaking Swiss user at desktop size, asking for reduced motion (Bootstrap then
    skips several of its transitions; ``stop_motion`` turns the rest off).

    ``bypass_csp`` is only there so that the tests can inject axe-core into the page: the
    portal's CSP stays strict (see ``strict_csp_page`` for a page that enforces it).
    """
    return {
        **browser_context_args,
        "bypass_csp": True,
        "locale": "fr-CH",
        "reduced_motion": "reduce",
        "viewport": dict(DESKTOP),
    }


# Every URL whose host is not this machine's. A regular expression is matched by Playwright's
# driver itself: the live server's own requests never make the round trip through Python that
# a "**/*" route costs (about 60 % of the browser tests' time), only the ones to abort do.
# chrome:// and chrome-extension:// are the browser's own pages, not sites: its PDF viewer
# (an attachment's "Aperçu") is made of them.
OFF_HOST = re.compile(
    r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?(?:[/?#]|$))"
    r"(?!chrome(?:-extension)?://)"
    r"[a-z][a-z0-9+.-]*://"
)


def _guard_local_only(context) -> list[str]:
    """Abort and remember every request that would leave the live server's host."""
    blocked: list[str] = []

    def handle(route) -> None:
        blocked.append(route.request.url)
        route.abort("blockedbyclient")

    context.route(OFF_HOST, handle)
    return blocked


@pytest.fixture
def new_context(new_context):
    """pytest-playwright's context factory (behind ``context``, and for a second user's
    context), with no CSS transition or animation in its pages."""

    def make(**kwargs):
        made = new_context(**kwargs)
        stop_motion(made)
        return made

    return make


@pytest.fixture
def context(context):
    """pytest-playwright's context, refusing any request to another host (and failing)."""
    blocked = _guard_local_only(context)
    yield context
    assert not blocked, f"The page tried to load from another site: {blocked}"


@pytest.fixture
def strict_csp_page(browser, browser_context_args: dict):
    """A page whose context enforces the portal's CSP (no bypass), with the console errors
    and CSP violations it saw in ``page.spt_errors`` (a list of strings)."""
    args = {**browser_context_args, "bypass_csp": False}
    strict_context = browser.new_context(**args)
    stop_motion(strict_context)
    blocked = _guard_local_only(strict_context)
    page = strict_context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.spt_errors = errors
    yield page
    strict_context.close()
    assert not blocked, f"The page tried to load from another site: {blocked}"
