"""An error page in a real browser keeps the area's navigation and passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_no_axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("username", "url", "link"), [
    ("client", "/portal/requests/SPT-999999/", "Mes demandes"),
    ("servicedesk", "/agent/requests/SPT-999999/", "Files d'attente"),
])
def test_a_404_keeps_the_navigation(page: Page, live_server, request, username, url, link):
    request.getfixturevalue("client_user" if username == "client" else "servicedesk")
    login(page, live_server, username)
    page.goto(f"{live_server.url}{url}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    navigation = page.get_by_role("navigation", name="Navigation principale")
    expect(navigation.get_by_role("link", name=link)).to_be_visible()
    assert_no_axe_violations(page, f"404 for {username}")
    screenshot(page, f"error-404-{username}")
