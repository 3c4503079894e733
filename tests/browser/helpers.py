"""Helpers for the browser tests (Playwright's sync API).

login(page, live_server, username, password="demo")
assert_no_axe_violations(page, context="login, phone")
screenshot(page, "login-phone")            -> var/screenshots/login-phone.png
DESKTOP, PHONE                              viewport sizes for page.set_viewport_size()
stop_motion(context)                        no CSS transition or animation in its pages
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

BROWSER_DIR = Path(__file__).resolve().parent
REPO_ROOT = BROWSER_DIR.parent.parent
AXE_JS = BROWSER_DIR / "vendor" / "axe.min.js"
SCREENSHOT_DIR = REPO_ROOT / "var" / "screenshots"

# A constructed stylesheet rather than a <style>: it is there from the document's creation,
# survives set_content(), needs no CSP exemption and adds no <style> element to the page.
_STOP_MOTION_JS = """
(() => {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`*, *::before, *::after {
    transition: none !important; transition-duration: 0s !important;
    animation: none !important; animation-duration: 0s !important;
    scroll-behavior: auto !important;
  }`);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
})();
"""

WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
LOGIN_PATH = "/accounts/login/"

_AXE_RUN = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String),
      html: n.html,
      summary: n.failureSummary,
    })),
  }));
}
"""


def stop_motion(context: BrowserContext) -> None:
    """Turn CSS transitions and animations off in every page of the context, so that no check
    samples a half-drawn state (axe-core once read a collapse mid-transition: contrast 1.49)."""
    context.add_init_script(_STOP_MOTION_JS)


def login(page: Page, live_server, username: str, password: str = "demo") -> None:
    """Sign in through the real login form; fails with the page's error text if refused.

    Fields are found by name, so it works whatever the interface language.
    """
    page.goto(f"{live_server.url}{LOGIN_PATH}")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form:has(input[name=password]) [type=submit]").click()
    if page.url.split("?")[0].endswith(LOGIN_PATH):
        alerts = page.locator("[role=alert]").all_inner_texts()
        raise AssertionError(f"Login as {username!r} failed: {' | '.join(alerts) or page.url}")


def assert_no_axe_violations(
    page: Page, context: str = "", *, tags: tuple[str, ...] = WCAG_21_AA
) -> None:
    """Run axe-core (WCAG 2.1 A and AA rules) on the current page; fail listing each violation
    with its id, impact, help text and the offending nodes.

    The context must bypass CSP (the ``browser_context_args`` fixture does) for the injection.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(_AXE_RUN, list(tags))
    if not violations:
        return
    lines = [
        f"{len(violations)} axe-core violation(s) on {page.url}"
        + (f" ({context})" if context else "")
        + ":"
    ]
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}]: {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            lines.append(f"    target {' '.join(node['target'])}: {node['html'][:200]}")
            if node.get("summary"):
                summary = " ".join(node["summary"].split())
                lines.append(f"      {summary[:300]}")
    raise AssertionError("\n".join(lines))


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of the page at its current viewport width to var/screenshots/<name>.png
    when ``SPT_SCREENSHOTS`` is set (``SPT_SCREENSHOTS=1 make test``).

    ``full_page`` (default) captures the whole height of the page, not only the viewport.
    """
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "page"
    path = SCREENSHOT_DIR / f"{safe}.png"
    # Pictures are for people to look at, not assertions: taken when asked for
    # (SPT_SCREENSHOTS=1), since encoding full-page PNGs costs every run seconds.
    if os.environ.get("SPT_SCREENSHOTS", "").strip() not in {"", "0"}:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page)
    return path


def has_horizontal_overflow(page: Page) -> bool:
    """True when the page is wider than the viewport (a horizontal scrollbar on a phone)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def audit_at_both_widths(page: Page, name: str, *, prefix: str) -> None:
    """axe and a screenshot at desktop width, then the same at phone width, where the page
    must not scroll sideways; the page is left at desktop width."""
    # A pointer left over a button audits its hover colours, not the page's.
    page.mouse.move(0, 0)
    page.set_viewport_size(DESKTOP)
    assert_no_axe_violations(page, context=f"{name}, desktop")
    screenshot(page, f"{prefix}-{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{prefix}-{name}-phone")
    assert not has_horizontal_overflow(page), f"{name} scrolls sideways at 375 px"
    assert_no_axe_violations(page, context=f"{name}, phone")
    page.set_viewport_size(DESKTOP)
