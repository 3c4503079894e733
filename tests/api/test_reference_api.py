"""/api/v1/reference/…: the reference data, named in the caller's language (the one the call
asks for, else the token owner's profile language)."""

from __future__ import annotations

import pytest

from api.services import api_token_create
from tests import factories
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

BASE = "/api/v1/reference/"


def test_priorities_most_urgent_first_in_french_by_default(api_client, client_user):
    response = api_client(client_user, "read").get(f"{BASE}priorities/")
    assert response.status_code == 200
    rows = response.json()
    assert [row["code"] for row in rows] == ["blocking", "high", "medium", "low"]
    assert rows[0]["name"] == "Bloquante"
    assert rows[0]["signification"].startswith("Processus vital")
    assert set(rows[0]) == {"id", "code", "name", "signification", "rank"}


def test_the_language_asked_for_wins(api_client, client_user):
    client = api_client(client_user, "read")
    response = client.get(f"{BASE}priorities/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.json()[0]["name"] == "Blockierend"
    assert response["Content-Language"] == "de"
    response = client.get(f"{BASE}priorities/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()[0]["name"] == "Blocking"


def test_without_accept_language_the_owners_profile_language(db, org_a):
    from rest_framework.test import APIClient

    person = factories.make_client(org_a, "kunde", language="de")
    _token, plain = api_token_create(owner=person, name="ERP", scope="read-write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    response = client.get(f"{BASE}types/")
    names = {row["code"]: row["name"] for row in response.json()}
    assert names["licence"] == "Lizenz"
    # The error messages too.
    refused = client.post(f"{BASE}types/", {}, format="json")
    assert refused.status_code == 405
    assert "nicht erlaubt" in error_of(refused)["message"]


def test_types_with_their_category_and_flags(api_client, client_user):
    rows = api_client(client_user, "read").get(f"{BASE}types/").json()
    by_code = {row["code"]: row for row in rows}
    assert {"support", "patch", "licence"} <= set(by_code)
    assert by_code["support"]["category"]["name"] == "Assistance"
    assert by_code["support"]["subject_to_slo"] is True
    assert by_code["licence"]["client_can_open"] is False


def test_categories_modules_and_resolutions(api_client, servicedesk):
    client = api_client(servicedesk, "read")
    categories = client.get(f"{BASE}categories/").json()
    assert [c["name"] for c in categories] == ["Assistance", "Administration"]
    modules = client.get(f"{BASE}modules/", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert any(m["code"] == "finance" for m in modules)
    resolutions = client.get(f"{BASE}resolutions/").json()
    assert {"code": "done", "name": "Traitée"} in resolutions
    english = client.get(f"{BASE}resolutions/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert len(english) == len(resolutions)


def test_a_new_priority_shows_at_once(api_client, client_user):
    from requests_app.models import Priority

    client = api_client(client_user, "read")
    before = len(client.get(f"{BASE}priorities/").json())
    Priority.objects.create(code="cosmetic", name="Cosmétique", signification="Détail",
                            rank=9)
    rows = client.get(f"{BASE}priorities/").json()
    assert len(rows) == before + 1 and rows[-1]["code"] == "cosmetic"


def test_reference_data_needs_a_caller(db):
    from rest_framework.test import APIClient

    response = APIClient().get(f"{BASE}types/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
