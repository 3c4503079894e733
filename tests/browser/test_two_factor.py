"""Two factors in a real browser: an agent enrols an authenticator (the secret read from the
page, the codes computed here as the phone would), signs out, signs in with a code, is
refused a wrong one, signs in with a recovery code once and not twice; a client signs in with
the password alone."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    has_horizontal_overflow,
    login,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SPT_TWO_FACTOR_SHOTS", "/tmp"))
VERIFY_URL = re.compile(r"/accounts/two-factor/verify/(\?.*)?$")


def authenticator_code(secret: str, *, ahead: int = 0) -> str:
    """What an authenticator application shows for the base32 ``secret`` (``ahead`` time
    steps from now)."""
    text = secret.replace(" ", "")
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    return f"{totp(key, drift=ahead):06d}"


def sign_out(page: Page) -> None:
    page.locator(".spt-user-name").click()
    with page.expect_navigation():
        page.locator(".spt-user-menu").get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")


def give_code(page: Page, code: str) -> None:
    page.get_by_label("Code", exact=True).fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Vérifier").click()


def test_an_agent_enrols_then_signs_in_with_a_code_or_a_recovery_code(
    page: Page, live_server, settings, servicedesk
) -> None:
    settings.DEMO_MODE = False

    # The password first: outside demo mode the back office starts with the enrolment.
    login(page, live_server, "servicedesk")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Configurer la double authentification")
    qr = page.locator("#two-factor-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 200 and box["height"] >= 200, box
    assert_no_axe_violations(page, context="two-factor enrolment")
    page.screenshot(path=str(SHOTS / "two-factor-enrol.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert not has_horizontal_overflow(page), "the enrolment page scrolls sideways at 375 px"
    page.screenshot(path=str(SHOTS / "two-factor-enrol-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    secret = page.locator("#two-factor-secret").inner_text()
    page.get_by_label("Code à 6 chiffres").fill(authenticator_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Codes de secours")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_no_axe_violations(page, context="recovery codes")
    with page.expect_navigation():
        page.get_by_role("link", name="J’ai noté mes codes, continuer").click()
    expect(page).to_have_url(re.compile(r"/agent/"))
    sign_out(page)

    # A code from the authenticator (the next one: the enrolment's was used).
    login(page, live_server, "servicedesk")
    expect(page).to_have_url(VERIFY_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérification en deux étapes")
    assert_no_axe_violations(page, context="two-factor verification")
    page.screenshot(path=str(SHOTS / "two-factor-verify.png"), full_page=True)
    give_code(page, authenticator_code(secret, ahead=1))
    expect(page).to_have_url(re.compile(r"/agent/"))
    sign_out(page)

    # A wrong code: refused, with the reason, and still no way in.
    login(page, live_server, "servicedesk")
    right = {authenticator_code(secret, ahead=step) for step in range(-2, 4)}
    wrong = next(f"{n:06d}" for n in range(123456, 999999, 7919) if f"{n:06d}" not in right)
    give_code(page, wrong)
    expect(page).to_have_url(VERIFY_URL)
    expect(page.get_by_role("alert")).to_contain_text("Code incorrect")
    page.screenshot(path=str(SHOTS / "two-factor-verify-error.png"), full_page=True)
    page.goto(f"{live_server.url}/agent/")
    expect(page).to_have_url(VERIFY_URL)

    # A recovery code, once.
    give_code(page, codes[0])
    expect(page).to_have_url(re.compile(r"/agent/"))
    sign_out(page)

    # ... and not twice.
    login(page, live_server, "servicedesk")
    give_code(page, codes[0])
    expect(page).to_have_url(VERIFY_URL)
    expect(page.get_by_role("alert")).to_contain_text("Code incorrect")


def test_a_client_signs_in_without_a_second_factor(page: Page, live_server, settings,
                                                   client_user) -> None:
    settings.DEMO_MODE = False
    login(page, live_server, "client")
    expect(page).to_have_url(re.compile(r"/portal/"))


def test_the_enrolment_page_works_under_the_strict_csp(strict_csp_page: Page, live_server,
                                                       settings, daily) -> None:
    """The QR code is inline SVG without a style attribute: nothing for the CSP to block."""
    settings.DEMO_MODE = False
    page = strict_csp_page
    login(page, live_server, "daily")
    expect(page.locator("#two-factor-qr svg")).to_be_visible()
    assert page.locator("#two-factor-qr svg").bounding_box()["width"] >= 200
    assert page.spt_errors == []
