"""Personal API tokens: they open the API as their owner, are stored hashed only, their scope
narrows what they may do, and revoking or expiring them shuts the door; the profile page
creates (showing the value once) and revokes them."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke
from tests.api.conftest import error_of

PRIORITIES = "/api/v1/reference/priorities/"
QUEUES = "/api/v1/queues/"

pytestmark = pytest.mark.django_db


def _bearer(plain: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client


def test_a_token_opens_the_api_as_its_owner(api_client, servicedesk):
    client = api_client(servicedesk)
    response = client.get(QUEUES)
    assert response.status_code == 200
    assert any(queue["slug"] == "mes-demandes" for queue in response.json())
    client.token.refresh_from_db()
    assert client.token.last_used_at is not None


def test_the_token_keyword_works_too(client_user):
    _token, plain = api_token_create(owner=client_user, name="ERP", scope="read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    assert client.get(PRIORITIES).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(client_user):
    token, plain = api_token_create(owner=client_user, name="ERP", scope="read")
    client = _bearer(plain)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get(PRIORITIES)
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(PRIORITIES)
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get(PRIORITIES)
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)


def test_only_a_hash_is_stored(client_user):
    token, plain = api_token_create(owner=client_user, name="ERP", scope="read-write")
    assert plain.startswith("spt_") and len(plain) > 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        stored = repr(cursor.fetchall())
    assert plain not in stored
    assert hashlib.sha256(plain.encode()).hexdigest() in stored
    assert token.prefix in stored and plain.startswith(token.prefix)
    assert len(token.prefix) < len(plain) // 3


def test_a_read_token_reads_but_cannot_write(api_client, client_user):
    client = api_client(client_user, "read")
    assert client.get(PRIORITIES).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(PRIORITIES, {}, format="json")
        assert response.status_code == 403, method
        assert error_of(response)["code"] == "token_read_only"


def test_a_read_write_token_is_not_refused_for_its_scope(api_client, client_user):
    response = api_client(client_user, "read-write").post(PRIORITIES, {}, format="json")
    # Past the scope check: the address itself only reads.
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_token_never_grants_more_than_its_owner_has(api_client, client_user):
    response = api_client(client_user, "read-write").get(QUEUES)
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_a_role_taken_away_is_gone_for_the_token_at_once(api_client, servicedesk):
    client = api_client(servicedesk)
    assert client.get(QUEUES).status_code == 200
    servicedesk.groups.clear()
    assert client.get(QUEUES).status_code == 403


@pytest.mark.parametrize(("header", "code"), [
    ("Bearer spt_notatokenatall", "token_invalid"),
    ("Bearer", "token_invalid"),
    ("Bearer a b", "token_invalid"),
    ("Token ", "token_invalid"),
    ("Bearer " + "x" * 5000, "token_invalid"),
])
def test_an_unknown_or_malformed_token_is_a_401(client_user, header, code):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(PRIORITIES)
    assert response.status_code == 401
    assert error_of(response)["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_credentials_is_a_401(db):
    response = APIClient().get(PRIORITIES)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_a_401(client_user):
    token, plain = api_token_create(owner=client_user, name="ERP", scope="read")
    client = _bearer(plain)
    assert client.get(PRIORITIES).status_code == 200
    api_token_revoke(actor=client_user, token=token)
    response = client.get(PRIORITIES)
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_revoked"


def test_an_expired_token_is_a_401(client_user):
    now = timezone.now()
    _token, plain = api_token_create(owner=client_user, name="ERP", scope="read",
                                     expires_at=now + timedelta(days=1))
    client = _bearer(plain)
    assert client.get(PRIORITIES).status_code == 200
    with time_machine.travel(now + timedelta(days=1, seconds=1)):
        response = client.get(PRIORITIES)
    assert response.status_code == 401
    assert error_of(response)["code"] == "token_expired"


def test_the_token_of_a_disabled_account_is_a_401(client_user):
    _token, plain = api_token_create(owner=client_user, name="ERP", scope="read")
    client_user.is_active = False
    client_user.save()
    response = _bearer(plain).get(PRIORITIES)
    assert response.status_code == 401
    assert error_of(response)["code"] == "account_inactive"


def test_the_token_of_a_client_of_a_deactivated_organisation_is_a_401(client_user, org_a):
    _token, plain = api_token_create(owner=client_user, name="ERP", scope="read")
    org_a.is_active = False
    org_a.save()
    response = _bearer(plain).get(PRIORITIES)
    assert response.status_code == 401
    assert error_of(response)["code"] == "account_inactive"


def test_nobody_revokes_another_persons_token(client_user, outsider):
    from requests_app.exceptions import PermissionDenied

    token, _plain = api_token_create(owner=client_user, name="ERP", scope="read")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=outsider, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_a_token_needs_a_sensible_name(client_user, name):
    from requests_app.exceptions import InvalidInput

    with pytest.raises(InvalidInput):
        api_token_create(owner=client_user, name=name, scope="read")
    assert not ApiToken.objects.exists()


# --- the session -------------------------------------------------------------------------

def test_a_session_reads_the_api(client, servicedesk):
    client.force_login(servicedesk)
    assert client.get(QUEUES).status_code == 200


def test_a_session_owing_its_second_factor_gets_no_api_data(client, servicedesk):
    TOTPDevice.objects.create(user=servicedesk, name="Téléphone", confirmed=True)
    client.force_login(servicedesk)  # the password only: the code is still due
    response = client.get(QUEUES)
    assert response.status_code == 401
    assert error_of(response)["code"] == "second_factor_required"
    # The documentation page, a page of the portal, sends to the code like any other.
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and "/two-factor/" in docs["Location"]
    # A token of the same person needs no second factor: it was created behind it.
    _token, plain = api_token_create(owner=servicedesk, name="Script", scope="read")
    assert _bearer(plain).get(QUEUES).status_code == 200


def test_a_session_write_needs_the_csrf_token(servicedesk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(servicedesk)
    response = client.post(PRIORITIES, {}, content_type="application/json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert "CSRF" in error_of(response)["message"]


# --- the profile page ---------------------------------------------------------------------

def _revoke_form_token_ids(html: str) -> list[str]:
    return re.findall(r'name="action" value="api_token_revoke">\s*'
                      r'<input type="hidden" name="token" value="(\d+)"', html)


def test_the_profile_page_creates_a_token_and_shows_its_value_once(client, client_user):
    client.force_login(client_user)
    page = client.get("/accounts/profile/")
    assert "Jetons d'API" in page.content.decode()
    response = client.post("/accounts/profile/", {
        "action": "api_token_create", "name": "Intégration ERP", "scope": "read-write"})
    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    match = re.search(r'id="new-api-token-value" value="(spt_[^"]+)"', shown)
    assert match, "the new token's value is shown"
    plain = match.group(1)
    assert "Intégration ERP" in shown and "Lecture et écriture" in shown
    # It works, as its owner, with both scopes' rights...
    assert _bearer(plain).get(PRIORITIES).status_code == 200
    # ...and is never shown again, nor kept anywhere.
    again = client.get("/accounts/profile/").content.decode()
    assert plain not in again and "Intégration ERP" in again
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        sessions = repr(cursor.fetchall())
        cursor.execute("SELECT * FROM api_apitoken")
        tokens = repr(cursor.fetchall())
    from django.contrib.sessions.models import Session

    decoded = repr([s.get_decoded() for s in Session.objects.all()])
    assert plain not in sessions + tokens + decoded


def test_the_profile_page_refuses_a_token_without_a_name(client, client_user):
    client.force_login(client_user)
    response = client.post("/accounts/profile/", {
        "action": "api_token_create", "name": " ", "scope": "read"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_profile_page_revokes_a_token_through_its_form(client, servicedesk):
    token, plain = api_token_create(owner=servicedesk, name="Script nocturne", scope="read")
    client.force_login(servicedesk)
    page = client.get("/accounts/profile/").content.decode()
    assert _revoke_form_token_ids(page) == [str(token.pk)]
    assert "data-confirm=" in page
    response = client.post("/accounts/profile/", {"action": "api_token_revoke",
                                                  "token": _revoke_form_token_ids(page)[0]})
    assert response.status_code == 302
    after = client.get(response["Location"]).content.decode()
    assert "est révoqué" in after and "Révoqué le" in after
    assert _revoke_form_token_ids(after) == []
    assert error_of(_bearer(plain).get(PRIORITIES))["code"] == "token_revoked"


def test_nobody_revokes_another_persons_token_from_the_profile_page(client, client_user,
                                                                     outsider):
    token, plain = api_token_create(owner=client_user, name="ERP", scope="read")
    client.force_login(outsider)
    response = client.post("/accounts/profile/", {"action": "api_token_revoke",
                                                  "token": str(token.pk)})
    assert response.status_code == 404
    assert _bearer(plain).get(PRIORITIES).status_code == 200


def test_the_profile_page_needs_a_signed_in_person(client):
    response = client.post("/accounts/profile/", {"action": "api_token_create",
                                                  "name": "x", "scope": "read"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not ApiToken.objects.exists()


def test_the_admin_lists_tokens_without_their_value_and_revokes_them(client, client_user):
    from django.contrib.auth import get_user_model

    token, plain = api_token_create(owner=client_user, name="ERP", scope="read")
    admin = get_user_model().objects.create_superuser("root", "root@example.test", "demo")
    client.force_login(admin)
    listing = client.get("/admin/api/apitoken/").content.decode()
    assert "ERP" in listing and plain not in listing and token.token_hash not in listing
    change = client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert token.token_hash not in change and 'name="token_hash"' not in change
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_profile_page_gives_a_token_an_expiry(client, client_user):
    from datetime import date

    client.force_login(client_user)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post("/accounts/profile/", {
        "action": "api_token_create", "name": "Essai", "scope": "read",
        "expires_on": tomorrow.isoformat()})
    assert response.status_code == 302
    token = ApiToken.objects.get()
    # The end of the chosen day, in the portal's time zone.
    assert timezone.localtime(token.expires_at).date() == tomorrow + timedelta(days=1)
    assert timezone.localtime(token.expires_at).hour == 0
    page = client.get(response["Location"]).content.decode()
    assert "Expire le" in page
    for refused in ("2001-01-01", date(9999, 12, 31).isoformat(), "demain"):
        again = client.post("/accounts/profile/", {
            "action": "api_token_create", "name": "Autre", "scope": "read",
            "expires_on": refused})
        assert again.status_code == 400, refused
    assert ApiToken.objects.count() == 1
