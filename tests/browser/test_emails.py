"""The e-mails as a mail client shows them: each kind's HTML (the snapshot tests' fixed
contexts) in Chromium at 600 px, the width of the card, and at 375 px, a phone. Nothing
overflows sideways, the button stays a button, and with ``SPT_SCREENSHOTS=1`` a PNG of each
lands in ``var/screenshots/email-<kind>-<width>.png`` to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from requests_app import notifications
from requests_app.models import NotificationKind as N
from tests.browser.helpers import has_horizontal_overflow, screenshot
from tests.requests_app.email_samples import CLIENT, COMBINED_SECTIONS, CONTEXTS

pytestmark = [pytest.mark.browser]

WIDTHS = (600, 375)
KINDS = [N.REQUEST_RECEIVED, N.AGENT_COMMENT, N.STATUS_CHANGED, N.CONFIRMATION_REQUEST,
         N.CONFIRMED, N.DENIED, N.CLOSED, N.CLIENT_COMMENT, N.SLO_WARNING, N.SLO_BREACHED,
         N.MENTION, N.CUSTOMER_REMINDER, N.DAILY_DIGEST, N.PASSWORD_RESET, "combined"]


def test_every_kind_is_rendered():
    assert set(KINDS) == {*N.values, "combined"}


def html_of(kind: str) -> str:
    if kind == "combined":
        return notifications.render_combined(COMBINED_SECTIONS, CLIENT, "fr")[2]
    return notifications.render_email(kind, CONTEXTS[kind], "fr")[2]


@pytest.mark.parametrize("kind", KINDS)
def test_each_email_reads_well_at_600_and_375_px(page: Page, kind: str):
    html = html_of(kind)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.set_content(html)
        assert not has_horizontal_overflow(page), f"{kind} overflows at {width} px"
        card = page.locator("td.card").bounding_box()
        assert card is not None and card["width"] <= 600
        assert card["width"] >= width - 40  # the card takes the screen, less a narrow margin
        button = page.locator("a.button")
        assert button.count() == 1
        box = button.bounding_box()
        assert box is not None and box["height"] >= 40  # a finger finds it
        assert box["x"] + box["width"] <= width
        screenshot(page, f"email-{kind}-{width}")
