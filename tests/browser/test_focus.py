"""The keyboard's focus is visible on every control of the header, in both areas (WCAG
2.4.7): Bootstrap's nav links drop their outline on focus, ours put it back."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("username", "home"), [("client", "/portal/"),
                                                ("servicedesk", "/agent/")])
def test_every_header_control_shows_where_the_focus_is(page: Page, live_server, username, home,
                                                       request):
    request.getfixturevalue("client_user" if username == "client" else "servicedesk")
    login(page, live_server, username)
    page.goto(f"{live_server.url}{home}")
    seen = []
    for _ in range(20):
        page.keyboard.press("Tab")
        inside, style, width, html = page.evaluate(
            "() => { const e = document.activeElement, s = getComputedStyle(e);"
            " return [!!e.closest('header.spt-header'), s.outlineStyle,"
            " parseFloat(s.outlineWidth), e.outerHTML.slice(0, 80)]; }")
        if seen and not inside:
            break
        if inside:
            assert style != "none" and width >= 2, html
            seen.append(html)
    assert len(seen) >= 3, seen
