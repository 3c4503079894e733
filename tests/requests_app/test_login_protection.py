"""Login protection (django-axes): one policy for the portal's and the admin's sign-in,
failures counted per normalised username and per client address, successes never counted,
a clear 429 during the lockout, unlocked after the cool-off or from the admin."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.test import Client
from django.utils import timezone

from tests import factories

LOGIN = "/accounts/login/"
LOCKED_TEXT = "la connexion est bloquée"
WRONG_TEXT = "Identifiant ou mot de passe incorrect"


def sign_in(client: Client, username: str, password: str, *, next_url: str = "",
            address: str = "127.0.0.1", **extra):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data, REMOTE_ADDR=address, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def limit(settings) -> int:
    return settings.LOGIN_FAILURE_LIMIT


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="admin", is_staff=True, is_superuser=True)


def test_the_admin_sign_in_is_the_portal_sign_in(client, admin_user):
    """/admin/ asks for the one login form (keeping where to go back), and posting
    credentials to the admin's own login URL signs nobody in."""
    response = client.get("/admin/", follow=True)
    assert unquote(response.redirect_chain[-1][0]) == f"{LOGIN}?next=/admin/"
    assert response.status_code == 200 and response.context["next"] == "/admin/"
    response = client.post("/admin/login/", {"username": "admin", "password": "demo"})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not signed_in(client)
    assert sign_in(client, "admin", "demo", next_url="/admin/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("entry", ["/portal/", "/admin/"])
def test_a_sign_in_locks_after_the_same_number_of_failures_from_either_entry(
    client, admin_user, limit, entry
):
    login_page = client.get(entry, follow=True)
    next_url = login_page.context["next"]
    assert next_url == entry
    for _attempt in range(limit - 1):
        response = sign_in(client, "admin", "faux", next_url=next_url)
        assert response.status_code == 200 and WRONG_TEXT in response.content.decode()
    locked = sign_in(client, "admin", "faux", next_url=next_url)
    assert locked.status_code == 429 and LOCKED_TEXT in locked.content.decode()
    # The right password does not open a locked sign-in either.
    assert sign_in(client, "admin", "demo", next_url=next_url).status_code == 429
    assert not signed_in(client)


@pytest.mark.parametrize("variant", [" rd", "rd ", "\trd", "ｒｄ", "RD"])
def test_each_spelling_of_a_username_counts_against_the_same_account(client, rnd, limit,
                                                                      variant):
    for _attempt in range(limit - 1):
        assert sign_in(client, "rd", "faux").status_code == 200
    # From another address: only the account's counter can be what locks it.
    locked = sign_in(client, variant, "faux", address="198.51.100.7")
    assert locked.status_code == 429, variant
    for spelling in ("rd", " rd", "ｒｄ"):
        assert sign_in(Client(), spelling, "demo", address="203.0.113.9").status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"rd"}


def test_many_addresses_guessing_one_username_are_stopped(client, rnd, limit):
    for i in range(limit - 1):
        assert sign_in(Client(), "rd", "faux", address=f"198.51.100.{i + 1}").status_code == 200
    assert sign_in(Client(), "rd", "faux", address="198.51.100.200").status_code == 429


def test_one_address_guessing_many_usernames_is_stopped(client, settings, rnd):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for i in range(7):
        assert sign_in(client, f"inconnu{i}", "faux").status_code == 200
    assert sign_in(client, "inconnu-8", "faux").status_code == 429
    # Everyone else (another address) still signs in.
    assert sign_in(Client(), "rd", "demo", address="203.0.113.9").status_code == 302


def test_successes_never_lock_anyone_out(db, settings, limit):
    """Thirty people behind one proxy (one address) sign in within a minute: nobody is
    refused, and nothing counts against the address."""
    people = [factories.make_agent(username=f"agent{i}") for i in range(30)]
    for person in people:
        client = Client()
        response = sign_in(client, person.username, "demo", address="192.0.2.10")
        assert response.status_code == 302, person.username
        assert signed_in(client)
    assert not AccessAttempt.objects.exists()
    assert AccessLog.objects.filter(ip_address="192.0.2.10").count() == 30
    # Nor do successes make the failures of the day disappear: they expire with the cool-off.
    for _attempt in range(limit - 1):
        sign_in(Client(), "agent0", "faux", address="192.0.2.10")
    assert sign_in(Client(), "agent0", "demo", address="192.0.2.10").status_code == 302
    assert sign_in(Client(), "agent0", "faux", address="192.0.2.10").status_code == 429


def test_the_lockout_answers_429_with_the_message_and_changes_nothing(client, rnd, limit,
                                                                      settings):
    for _attempt in range(limit):
        sign_in(client, "rd", "faux", next_url="/agent/")
    attempts = list(AccessAttempt.objects.values_list("username", "failures_since_start",
                                                      "attempt_time"))
    logins = AccessLog.objects.count()

    response = sign_in(client, "rd", "demo", next_url="/agent/")

    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.LOGIN_COOLOFF_MINUTES * 60)
    html = response.content.decode()
    assert f"bloquée pendant {settings.LOGIN_COOLOFF_MINUTES} minutes" in html
    # Still the login page, in the portal's look, ready for later.
    assert 'name="password"' in html and 'value="/agent/"' in html
    assert "spt-auth" in html
    assert not signed_in(client)
    rnd.refresh_from_db()
    assert rnd.last_login is None
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start",
                                                  "attempt_time")) == attempts
    assert AccessLog.objects.count() == logins


def test_a_locked_account_unlocks_after_the_cool_off(client, rnd, limit, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _attempt in range(limit):
            sign_in(client, "rd", "faux")
        assert sign_in(client, "rd", "demo").status_code == 429
    cool_off = dt.timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    with time_machine.travel(start + cool_off - dt.timedelta(seconds=30), tick=False):
        assert sign_in(client, "rd", "demo").status_code == 429
    with time_machine.travel(start + cool_off + dt.timedelta(seconds=1), tick=False):
        response = sign_in(client, "rd", "demo")
        assert response.status_code == 302 and signed_in(client)


def test_an_administrator_unlocks_an_account_from_the_admin(client, rnd, admin_user, limit):
    for _attempt in range(limit):
        sign_in(Client(), "rd", "faux", address="198.51.100.7")
    assert sign_in(Client(), "rd", "demo").status_code == 429

    client.force_login(admin_user)
    index = client.get("/admin/").content.decode()
    assert "/admin/axes/accessattempt/" in index
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "rd" in listing.content.decode()
    attempt = AccessAttempt.objects.get(username="rd")
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302

    assert sign_in(Client(), "rd", "demo").status_code == 302


def test_the_client_address_comes_from_the_trusted_header_only_when_configured(
    client, rnd, limit, settings
):
    """Behind one trusted proxy, the address is the one it appended (the last of
    X-Forwarded-For): what a client writes before it cannot dodge its own counter."""
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = limit
    for i in range(limit - 1):
        response = sign_in(client, f"inconnu{i}", "faux", address="10.0.0.2",
                           HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 198.51.100.7")
        assert response.status_code == 200
    assert sign_in(client, "autre", "faux", address="10.0.0.2",
                   HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    # Another client behind the same proxy is not affected.
    assert sign_in(Client(), "rd", "demo", address="10.0.0.2",
                   HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_without_a_configured_header_a_forwarded_address_is_ignored(client, rnd, limit):
    for i in range(limit - 1):
        sign_in(client, f"inconnu{i}", "faux", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_an_empty_or_oversized_sign_in_is_a_clear_refusal_not_a_500(client, rnd):
    assert sign_in(client, "", "").status_code == 200
    assert sign_in(client, "x" * 5000, "y" * 5000).status_code == 200
    assert not signed_in(client)
