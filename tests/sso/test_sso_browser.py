"""Single sign-on in a real browser: the login page's button, the provider and back, signed
in on the agent pages, under the portal's strict CSP."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.browser import conftest as browser_fixtures
from tests.browser.helpers import assert_no_axe_violations, screenshot

# The browser fixtures (system Chromium, strict-CSP page, local-only guard) of tests/browser.
browser_type_launch_args = browser_fixtures.browser_type_launch_args
browser_context_args = browser_fixtures.browser_context_args
new_context = browser_fixtures.new_context
context = browser_fixtures.context
strict_csp_page = browser_fixtures.strict_csp_page
_fresh_calendar_cache = browser_fixtures._fresh_calendar_cache

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_login_pages_sso_button_passes_axe(page: Page, live_server, sso) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("link", name="Se connecter avec Entra ID")).to_be_visible()
    expect(page.get_by_label("Mot de passe", exact=True)).to_be_visible()
    assert_no_axe_violations(page, context="login with single sign-on")
    screenshot(page, "login-sso")


def test_clicking_the_button_signs_in_through_the_provider_under_the_strict_csp(
    strict_csp_page: Page, live_server, sso,
) -> None:
    page = strict_csp_page
    sso.sign_in_as(email="marc.keller@spt.example", given_name="Marc", family_name="Keller",
                   groups=["spt-servicedesk"])
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_navigation(url=re.compile(r"/agent/$")):
        page.get_by_role("link", name="Se connecter avec Entra ID").click()

    expect(page.get_by_text("Marc Keller").first).to_be_visible()
    assert User.objects.get(email="marc.keller@spt.example").groups.filter(
        name="ServiceDesk").exists()
    assert page.spt_errors == []
