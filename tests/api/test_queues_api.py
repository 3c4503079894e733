"""/api/v1/queues/: an agent's queues with their counts and each queue's requests, as the
agent pages show them; customers are refused."""

from __future__ import annotations

import pytest

from requests_app.workflow import RequestStatus as S
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def test_an_agent_lists_their_queues_with_counts_theirs_first(api_client, frontdesk, walk):
    walk(S.OPEN)
    walk(S.OPEN)
    walk(S.QUALIFIED)
    rows = api_client(frontdesk, "read").get("/api/v1/queues/").json()
    assert rows[0]["slug"] == "a-qualifier" and rows[0]["mine"] is True
    by_slug = {row["slug"]: row for row in rows}
    assert by_slug["a-qualifier"]["count"] == 2
    assert by_slug["a-planifier"]["count"] == 1
    assert by_slug["a-planifier"]["mine"] is False
    assert by_slug["toutes"]["count"] is None  # not counted, as in the navigation
    assert by_slug["a-qualifier"]["label"] == "À qualifier"


def test_a_queues_requests_are_paginated(api_client, servicedesk, walk):
    made = [walk(S.OPEN, title=f"Demande {n}") for n in range(3)]
    client = api_client(servicedesk, "read")
    first = client.get("/api/v1/queues/a-qualifier/requests/", {"page_size": 2})
    assert first.status_code == 200
    body = first.json()
    assert body["count"] == 3 and body["count_capped"] is False
    assert len(body["results"]) == 2 and body["next"]
    second = client.get(body["next"]).json()
    keys = {row["key"] for row in body["results"] + second["results"]}
    assert keys == {request.key for request in made}
    row = body["results"][0]
    assert row["status"] == "open" and row["status_label"] == "Ouvert"
    assert row["organisation"] == "Horlogerie du Jura SA"
    assert row["priority"]["code"] == "medium"


def test_a_queues_filters_and_their_refusal(api_client, servicedesk, walk):
    walk(S.OPEN, title="Imprimante en panne")
    walk(S.OPEN, title="Clôture mensuelle")
    client = api_client(servicedesk, "read")
    found = client.get("/api/v1/queues/a-qualifier/requests/", {"q": "imprimante"}).json()
    assert [row["title"] for row in found["results"]] == ["Imprimante en panne"]
    refused = client.get("/api/v1/queues/a-qualifier/requests/", {"priority": "999999"})
    assert refused.status_code == 400
    error = error_of(refused)
    assert error["code"] == "invalid" and "priority" in error["fields"]


def test_mine_holds_only_my_requests(api_client, servicedesk, servicedesk2, walk):
    walk(S.IN_PROGRESS)  # assigned to servicedesk
    mine = api_client(servicedesk, "read").get("/api/v1/queues/mes-demandes/requests/").json()
    theirs = api_client(servicedesk2, "read").get(
        "/api/v1/queues/mes-demandes/requests/").json()
    assert mine["count"] == 1 and theirs["count"] == 0


def test_an_unknown_queue_is_a_404(api_client, servicedesk):
    response = api_client(servicedesk, "read").get("/api/v1/queues/nope/requests/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_page_past_the_end_is_a_404(api_client, servicedesk, walk):
    walk(S.OPEN)
    response = api_client(servicedesk, "read").get("/api/v1/queues/a-qualifier/requests/",
                                                   {"page": 5})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("url", ["/api/v1/queues/", "/api/v1/queues/a-qualifier/requests/"])
def test_customers_are_refused(api_client, client_user, walk, url):
    walk(S.OPEN)
    response = api_client(client_user, "read-write").get(url)
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_sales_administration_sees_only_what_it_may(api_client, sales, walk):
    walk(S.OPEN)  # a support request: not sales administration's
    body = api_client(sales, "read").get("/api/v1/queues/a-qualifier/requests/").json()
    assert body["count"] == 0
