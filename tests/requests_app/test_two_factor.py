"""Two factors: required for the back office and the admin, optional for clients; enrolment
with a QR code drawn by the portal, recovery codes shown once, a throttled verification; demo
mode keeps the demo accounts usable without a device."""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import unquote

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from requests_app import two_factor
from tests import factories

# Five seconds into a TOTP time step, near enough to now for the test's sessions to be valid.
START = dt.datetime.fromtimestamp((time.time() // 30) * 30 + 5, tz=dt.UTC)
ENROL = "/accounts/two-factor/"
VERIFY = "/accounts/two-factor/verify/"
CODES = "/accounts/two-factor/recovery-codes/"
STEP = dt.timedelta(seconds=30)


def code_for(key_hex: str, at: dt.datetime | None = None) -> str:
    """The six digits an authenticator shows for ``key_hex`` at ``at`` (now by default)."""
    if at is not None:
        with time_machine.travel(at, tick=False):
            return f"{totp(bytes.fromhex(key_hex)):06d}"
    return f"{totp(bytes.fromhex(key_hex)):06d}"


def enrolled(user, at: dt.datetime = START) -> tuple[str, list[str]]:
    """``user`` with an authenticator enrolled at ``at`` (through the service): its key and
    recovery codes."""
    key = random_hex(20)
    with time_machine.travel(at, tick=False):
        _device, codes = two_factor.two_factor_enrol(user=user, key=key, code=code_for(key))
    return key, codes


def password_sign_in(client: Client, username: str, next_url: str = ""):
    data = {"username": username, "password": "demo"}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


@pytest.fixture
def production(db, settings):
    settings.DEMO_MODE = False


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="admin", is_staff=True, is_superuser=True)


# --- who must have a second factor ----------------------------------------------------------

@pytest.mark.parametrize("role_fixture", ["frontdesk", "daily", "servicedesk", "expert", "rnd",
                                          "sales"])
def test_outside_demo_mode_the_back_office_is_sent_to_enrolment_first(
    client, production, request, role_fixture
):
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    response = client.get("/agent/")
    assert response.status_code == 302
    assert unquote(response["Location"]) == f"{ENROL}?next=/agent/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Votre compte donne accès au back-office" in page.content.decode()


def test_outside_demo_mode_the_admin_is_sent_to_enrolment_first(client, production,
                                                                  admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(ENROL)
    # Nor can anything be changed meanwhile, in the admin or elsewhere.
    assert client.post("/admin/auth/user/add/", {"username": "x"}).status_code == 302
    assert not factories.User.objects.filter(username="x").exists()
    assert client.get("/accounts/password_change/")["Location"].startswith(ENROL)


def test_outside_demo_mode_a_client_needs_no_second_factor(client, production, client_user):
    client.force_login(client_user)
    assert client.get("/portal/").status_code == 200


def test_in_demo_mode_the_back_office_without_a_device_goes_straight_in(client, servicedesk,
                                                                         admin_user):
    client.force_login(servicedesk)
    assert client.get("/agent/").status_code == 200
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200


def test_in_demo_mode_a_person_with_a_device_must_verify(client, servicedesk):
    enrolled(servicedesk)
    client.force_login(servicedesk)
    response = client.get("/agent/")
    assert unquote(response["Location"]) == f"{VERIFY}?next=/agent/"


def test_a_client_with_a_device_must_verify_too(client, client_user):
    enrolled(client_user)
    client.force_login(client_user)
    assert client.get("/portal/")["Location"].startswith(VERIFY)


# --- enrolment -----------------------------------------------------------------------------

def test_enrolment_shows_a_qr_code_drawn_here_and_the_secret_as_text(client, production,
                                                                     servicedesk):
    client.force_login(servicedesk)
    html = client.get(ENROL).content.decode()
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert svg is not None and "<path" in svg.group(0)
    assert "style=" not in svg.group(0) and "<img" not in html.split("<main")[1]
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', html)
    assert secret is not None and len(secret.group(1).replace(" ", "")) == 32
    # The same secret on the next visit (until confirmed), so that a scan stays valid.
    assert secret.group(1) in client.get(ENROL).content.decode()


def test_enrolment_with_a_wrong_code_enrols_nothing(client, production, servicedesk):
    client.force_login(servicedesk)
    client.get(ENROL)
    for bad in ("123", "abcdef", "１２３", "12 34 5x"):
        response = client.post(ENROL, {"code": bad})
        assert response.status_code == 400, bad
        assert "Saisissez les 6 chiffres" in response.content.decode()
    for bad in ("", "²²²²²²", "x" * 100):
        assert client.post(ENROL, {"code": bad}).status_code == 400, bad
    key = client.session[two_factor.PENDING_KEY_SESSION]
    wrong = f"{(int(code_for(key)) + 500000) % 1000000:06d}"
    response = client.post(ENROL, {"code": wrong})
    assert response.status_code == 400
    assert "Ce code ne correspond pas" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=servicedesk).exists()
    assert client.get("/agent/")["Location"].startswith(ENROL)


def test_enrolment_confirmed_by_a_code_shows_ten_recovery_codes_once(client, production,
                                                                     servicedesk):
    client.force_login(servicedesk)
    client.get(f"{ENROL}?next=/agent/")
    key = client.session[two_factor.PENDING_KEY_SESSION]
    response = client.post(ENROL, {"code": code_for(key), "next": "/agent/"})
    assert response.status_code == 302
    assert unquote(response["Location"]) == f"{CODES}?next=/agent/"
    page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<code>([a-z2-7]{8})</code>", page)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert 'href="/agent/"' in page
    assert not re.findall(r"<code>([a-z2-7]{8})</code>", client.get(CODES).content.decode())
    # The session that enrolled is verified: the back office opens.
    assert client.get("/agent/").status_code == 200
    device = TOTPDevice.objects.get(user=servicedesk)
    assert device.confirmed and device.key == key
    assert sorted(StaticToken.objects.filter(device__user=servicedesk)
                  .values_list("token", flat=True)) == sorted(codes)


def test_recovery_codes_can_be_renewed_and_the_old_ones_stop_working(client, servicedesk):
    _key, old = enrolled(servicedesk)
    client.force_login(servicedesk)
    with time_machine.travel(START + STEP, tick=False):
        client.post(VERIFY, {"code": old[0]})
    assert client.get("/agent/").status_code == 200
    assert client.post(CODES)["Location"] == CODES
    new = re.findall(r"<code>([a-z2-7]{8})</code>", client.get(CODES).content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    other = Client()
    other.force_login(servicedesk)
    assert other.post(VERIFY, {"code": old[1]}).status_code == 400
    # (a second later: a failure makes the next try wait a second)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2)):
        assert other.post(VERIFY, {"code": new[0]}).status_code == 302


def test_knowing_the_password_is_not_enough_to_replace_a_device(client, servicedesk):
    key, _codes = enrolled(servicedesk)
    client.force_login(servicedesk)
    assert client.get(f"{ENROL}?replace=1")["Location"].startswith(VERIFY)
    response = client.post(ENROL, {"code": "123456"})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.get(user=servicedesk).key == key


def test_a_client_may_enrol_and_disable_but_the_back_office_may_not_disable(
    client, client_user, servicedesk
):
    client.force_login(client_user)
    assert "Protégez votre compte" in client.get(ENROL).content.decode()
    key = client.session[two_factor.PENDING_KEY_SESSION]
    assert client.post(ENROL, {"code": code_for(key)}).status_code == 302
    assert TOTPDevice.objects.filter(user=client_user).exists()
    assert client.post(ENROL, {"action": "disable"})["Location"] == ENROL
    assert not TOTPDevice.objects.filter(user=client_user).exists()

    _key, codes = enrolled(servicedesk, at=timezone.now())
    agent = Client()
    agent.force_login(servicedesk)
    agent.post(VERIFY, {"code": codes[0]})
    response = agent.post(ENROL, {"action": "disable"})
    assert response.status_code == 400
    assert "obligatoire" in response.content.decode()
    assert TOTPDevice.objects.filter(user=servicedesk).exists()


# --- verification --------------------------------------------------------------------------

def test_the_code_that_confirmed_the_enrolment_cannot_sign_in(client, servicedesk):
    key, _codes = enrolled(servicedesk)
    client.force_login(servicedesk)
    with time_machine.travel(START + dt.timedelta(seconds=10), tick=False):
        response = client.post(VERIFY, {"code": code_for(key, START)})
        assert response.status_code == 400
    assert client.get("/agent/")["Location"].startswith(VERIFY)


def test_signing_in_with_a_device_asks_for_the_code_then_goes_on(client, servicedesk):
    key, _codes = enrolled(servicedesk)
    with time_machine.travel(START + 2 * STEP, tick=False):
        response = password_sign_in(client, "servicedesk", next_url="/agent/")
        assert unquote(response["Location"]) == f"{VERIFY}?next=/agent/"
        assert client.get("/agent/")["Location"].startswith(VERIFY)
        page = client.get(response["Location"]).content.decode()
        assert "Vérification en deux étapes" in page and 'value="/agent/"' in page
        response = client.post(VERIFY, {"code": code_for(key), "next": "/agent/"})
        assert response.status_code == 302 and response["Location"] == "/agent/"
        assert client.get("/agent/").status_code == 200


def test_a_code_is_accepted_once_only(client, servicedesk):
    key, _codes = enrolled(servicedesk)
    with time_machine.travel(START + 2 * STEP, tick=False):
        code = code_for(key)
        first = Client()
        first.force_login(servicedesk)
        assert first.post(VERIFY, {"code": code}).status_code == 302
    with time_machine.travel(START + 2 * STEP + dt.timedelta(seconds=5), tick=False):
        client.force_login(servicedesk)
        assert client.post(VERIFY, {"code": code}).status_code == 400


def test_a_wrong_code_is_refused_and_repeated_failures_are_throttled(client, servicedesk):
    key, _codes = enrolled(servicedesk)
    client.force_login(servicedesk)
    at = START + 4 * STEP
    right = code_for(key, at)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    with time_machine.travel(at, tick=False):
        response = client.post(VERIFY, {"code": wrong})
        assert response.status_code == 400 and "Code incorrect" in response.content.decode()
        # Straight after a failure even the right code waits (1 s, then 2, 4 …).
        response = client.post(VERIFY, {"code": right})
        assert response.status_code == 429
        assert "Trop de codes erronés" in response.content.decode()
        assert int(response["Retry-After"]) >= 1
    with time_machine.travel(at + dt.timedelta(seconds=2), tick=False):
        assert client.post(VERIFY, {"code": right}).status_code == 302
    assert client.get("/agent/").status_code == 200


def test_a_recovery_code_signs_in_once_and_not_twice(client, servicedesk):
    _key, codes = enrolled(servicedesk)
    client.force_login(servicedesk)
    assert client.post(VERIFY, {"code": codes[3].upper()}).status_code == 302
    assert client.get("/agent/").status_code == 200
    again = Client()
    again.force_login(servicedesk)
    response = again.post(VERIFY, {"code": codes[3]})
    assert response.status_code == 400 and "Code incorrect" in response.content.decode()
    assert StaticToken.objects.filter(device__user=servicedesk).count() == 9


def test_verification_refuses_what_is_not_a_code_with_a_message(client, servicedesk):
    enrolled(servicedesk)
    client.force_login(servicedesk)
    for bad in ("", "12", "1234567", "²²²²²²", "x" * 40, "abcd-efgh!"):
        response = client.post(VERIFY, {"code": bad})
        assert response.status_code == 400, bad
    assert client.get("/agent/")["Location"].startswith(VERIFY)


def test_verification_only_follows_next_on_this_site(client, servicedesk):
    _key, codes = enrolled(servicedesk)
    client.force_login(servicedesk)
    response = client.post(VERIFY, {"code": codes[0], "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_verification_page_is_only_for_those_with_a_code_due(client, client_user):
    client.force_login(client_user)
    assert client.get(f"{VERIFY}?next=/portal/")["Location"] == "/portal/"


def test_an_administrator_resets_a_lost_second_factor_from_the_admin(client, production,
                                                                      servicedesk, admin_user):
    enrolled(servicedesk)
    _key, codes = enrolled(admin_user)
    client.force_login(admin_user)
    client.post(VERIFY, {"code": codes[0]})
    listing = client.get("/admin/otp_totp/totpdevice/")
    assert listing.status_code == 200 and "servicedesk" in listing.content.decode()
    device = TOTPDevice.objects.get(user=servicedesk)
    assert client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/",
                       {"post": "yes"}).status_code == 302
    static = servicedesk.staticdevice_set.get()
    assert client.post(f"/admin/otp_static/staticdevice/{static.pk}/delete/",
                       {"post": "yes"}).status_code == 302
    # Without a device again: outside demo mode, straight to a new enrolment.
    agent = Client()
    agent.force_login(servicedesk)
    assert agent.get("/agent/")["Location"].startswith(ENROL)
