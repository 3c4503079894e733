"""The access matrix of ``tests/access_table.py``, run against the REST API and the HTML
pages: every endpoint × every role × every request, the shared one of the person's
organisation and another organisation's alike. Pages and API give the same answer, and a
request one may not see is a 404 identical to a request that does not exist: 0 leaks."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver
from rest_framework.test import APIClient

from api import urls_requests
from requests_app import services
from tests import access_table as table
from tests import factories

FIXTURE_OF_ROLE = {"client": "client_user"}
TITLES = {obj: f"Matrice {obj} {index}" for index, obj in enumerate(table.OBJECTS)
          if obj != "licence"}
ABSENT_KEY = "SPT-987654"
ABSENT_TOKEN = "0" * 32


def _with_files(request, servicedesk):
    """A public file sent with the request and an internal note of ServiceDesk with its own."""
    services.comment_add(actor=servicedesk, request=request, body="Note interne", is_internal=True,
                         attachments=[SimpleUploadedFile("interne.txt", b"interne")])
    files = {a.is_internal: a.token for a in request.attachments.all()}
    return {"key": request.key, "title": request.title, "public": files[False],
            "internal": files[True]}


@pytest.fixture
def matrix(client_user, colleague, outsider, servicedesk, sales):
    def public_file():
        return [SimpleUploadedFile("journal.txt", b"journal")]

    requests = {
        "shared": factories.make_request(client_user, title=TITLES["shared"],
                                         attachments=public_file()),
        "private": factories.make_request(client_user, title=TITLES["private"],
                                          shared_with_organisation=False,
                                          attachments=public_file()),
        "licence": factories.make_licence(sales, client_user, attachments=public_file()),
        "foreign": factories.make_request(outsider, title=TITLES["foreign"],
                                          attachments=public_file()),
    }
    return {obj: _with_files(request, servicedesk) for obj, request in requests.items()}


def _person(request, role):
    return request.getfixturevalue(FIXTURE_OF_ROLE.get(role, role))


def _ask(http, check, names):
    url = check.path.format(**names)
    if check.api:
        return getattr(http, check.method)(url, check.body, format="json")
    return getattr(http, check.method)(url)


def _absent(names, *, request_seen):
    """The same address about what does not exist: the request, or (when the request is
    seen, not the file) the file."""
    key = names["key"] if request_seen else ABSENT_KEY
    return {"key": key, "public": ABSENT_TOKEN, "internal": ABSENT_TOKEN}


@pytest.mark.django_db
@pytest.mark.parametrize("role", table.ROLES)
def test_api_and_pages_answer_as_the_table_says(role, request, matrix):
    person = _person(request, role)
    api, page = APIClient(), Client()
    api.force_login(person)
    page.force_login(person)
    mismatches = []
    for obj in table.OBJECTS:
        names = matrix[obj]
        for check in table.CHECKS:
            http = api if check.api else page
            response = _ask(http, check, names)
            expected = check.expect(role, obj)
            if response.status_code != expected:
                mismatches.append((check.name, obj, expected, response.status_code))
                continue
            if expected in (table.NOT_FOUND, table.ROLE_GATE):
                # A refusal says nothing of the request: not its title, not its number.
                body = response.content.decode()
                if names["title"] in body or f'"{names["key"]}"' in body:
                    mismatches.append((check.name, obj, "leak", body[:200]))
            if expected == table.NOT_FOUND and check.api:
                # … and exactly what a request that does not exist gets.
                absent = _ask(http, check,
                              _absent(names, request_seen=obj in table.SEES[role]))
                if (absent.status_code, absent.json()) != (404, response.json()):
                    mismatches.append((check.name, obj, "differs from absent",
                                       response.json(), absent.json()))
                if response.json()["error"]["code"] != "not_found":
                    mismatches.append((check.name, obj, "code", response.json()))
    assert mismatches == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", table.ROLES)
def test_the_list_shows_exactly_what_the_request_pages_show(role, request, matrix):
    person = _person(request, role)
    api = APIClient()
    api.force_login(person)
    response = api.get("/api/v1/requests/", {"page_size": 100})
    assert response.status_code == 200
    keys = {row["key"] for row in response.json()["results"]}
    assert keys == {matrix[obj]["key"] for obj in table.listed(role)}


@pytest.mark.django_db
@pytest.mark.parametrize("role", table.CUSTOMERS + ("servicedesk",))
def test_searching_for_another_organisations_request_finds_nothing(role, request, matrix):
    """Even by its number or its exact title: the search comes after the access rule."""
    person = _person(request, role)
    api = APIClient()
    api.force_login(person)
    for obj in table.OBJECTS:
        for words in (matrix[obj]["key"], matrix[obj]["title"]):
            response = api.get("/api/v1/requests/", {"q": words})
            assert response.status_code == 200
            found = {row["key"] for row in response.json()["results"]}
            expected = {matrix[obj]["key"]} if obj in table.SEES[role] else set()
            assert found == expected, (obj, words)


def test_every_api_route_about_a_request_is_in_the_table():
    """A new endpoint cannot escape the matrix: each route of the requests' URLConf is
    checked by a line of the table (the list, which names no request, by its own test)."""
    names = {pattern.name for pattern in get_resolver(urls_requests).url_patterns}
    checked = {check.name for check in table.CHECKS}
    assert names - {"requests"} == set(table.API_ROUTES_CHECKED)
    assert set(table.API_ROUTES_CHECKED.values()) <= checked
