"""/api/docs/ in a real browser: Swagger UI renders from our own static files under the
portal's Content-Security-Policy (no violation, nothing from another site); and the profile
page's API tokens at phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

# The browser tests' fixtures (system Chromium, French locale, the off-site guard, a page
# that enforces the CSP).
from tests.browser.conftest import (  # noqa: F401
    browser_context_args,
    browser_type_launch_args,
    context,
    new_context,
    strict_csp_page,
)
from tests.browser.helpers import audit_at_both_widths, login

# Run on the browser tests' worker: see tests/api/conftest.py.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_RECORD_CSP_VIOLATIONS = """
window.sptCspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.sptCspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_the_docs_render_under_our_csp_with_nothing_from_elsewhere(strict_csp_page: Page,  # noqa: F811
                                                                  live_server, servicedesk):
    page = strict_csp_page
    page.add_init_script(_RECORD_CSP_VIOLATIONS)
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    login(page, live_server, "servicedesk")
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("SPT Portal API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/reference/priorities/")
           ).to_be_visible()
    # The schema was fetched and parsed: the shared error component is listed.
    expect(page.locator(".models", has_text="Error")).to_be_visible()
    assert page.evaluate("window.sptCspViolations") == []
    assert not page.spt_errors, page.spt_errors
    assert any("/static/drf_spectacular_sidecar/" in url for url in loaded)
    assert all(url.startswith(live_server.url) or url.startswith("data:")
               for url in loaded), loaded


def test_the_docs_page_asks_a_visitor_to_sign_in(page: Page, live_server):
    page.goto(f"{live_server.url}/api/docs/")
    assert "/accounts/login/" in page.url


def test_a_token_is_created_and_revoked_on_the_profile_page(page: Page, live_server,
                                                            client_user):
    login(page, live_server, "client")
    page.goto(f"{live_server.url}/accounts/profile/")
    section = page.locator("#jetons-api")
    expect(section.get_by_role("heading", name="Jetons d'API")).to_be_visible()
    section.get_by_label("Nom du jeton").fill("Intégration ERP")
    section.get_by_label("Lecture et écriture").check()
    with page.expect_navigation():
        section.get_by_role("button", name="Créer le jeton").click()
    value = page.get_by_label("Valeur du nouveau jeton")
    assert value.input_value().startswith("spt_")
    expect(page.get_by_text("il ne sera plus jamais affiché", exact=False)).to_be_visible()
    audit_at_both_widths(page, "profile-api-token", prefix="api")
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        section.get_by_role("button", name="Révoquer Intégration ERP").click()
    expect(page.get_by_text("Révoqué le", exact=False)).to_be_visible()
    expect(page.get_by_label("Valeur du nouveau jeton")).to_have_count(0)
