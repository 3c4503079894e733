"""Limits against floods: one person posting comments or creating requests faster than the
configured rates gets a clear 429 page and nothing is written; no text longer than the
configured length is accepted, from clients or agents, in comments or action texts."""

from __future__ import annotations

import pytest

from requests_app import services
from requests_app.exceptions import InvalidInput
from requests_app.models import Comment, Request
from requests_app.workflow import RequestStatus as S
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.FLOOD_RATES = {"comment": "3/m", "request": "2/h"}


def test_a_client_posting_too_many_comments_gets_429_and_nothing_written(
    client, client_user, low_rates
):
    r = factories.make_request(client_user)
    client.force_login(client_user)
    url = f"/portal/requests/{r.key}/comment/"
    for index in range(3):
        assert client.post(url, {"comment-body": f"Précision {index}"}).status_code == 302
    response = client.post(url, {"comment-body": "Encore une"})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Trop de commentaires" in response.content.decode()
    assert Comment.objects.filter(request=r).count() == 3


def test_an_agent_posting_too_many_comments_gets_429(client, client_user, servicedesk, walk,
                                                      low_rates):
    r = walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    url = f"/agent/requests/{r.key}/comment/"
    for index in range(3):
        assert client.post(url, {"comment-body": f"Note {index}",
                                 "comment-visibility": "internal"}).status_code == 302
    before = Comment.objects.filter(request=r).count()
    assert client.post(url, {"comment-body": "Une de plus",
                             "comment-visibility": "public"}).status_code == 429
    assert Comment.objects.filter(request=r).count() == before


def test_the_limit_is_per_person(client, client_user, colleague, low_rates):
    r = factories.make_request(client_user)
    client.force_login(client_user)
    for index in range(3):
        client.post(f"/portal/requests/{r.key}/comment/", {"comment-body": f"C {index}"})
    client.force_login(colleague)
    assert client.post(f"/portal/requests/{r.key}/comment/",
                       {"comment-body": "Moi aussi"}).status_code == 302


def test_creating_too_many_requests_gets_429_and_creates_nothing(client, client_user,
                                                                 low_rates):
    client.force_login(client_user)
    form = {"title": "Appliquer le correctif", "description": "En test d'abord.",
            "priority": factories.priority("low").pk, "environment": "test",
            "time_window": "Samedi 8 h – 12 h", "patch_reference": "24.1.3"}
    for _ in range(2):
        response = client.post("/portal/requests/new/patch/", form)
        assert response.status_code == 302, response.content.decode()[:500]
    response = client.post("/portal/requests/new/patch/", form)
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()
    assert Request.objects.count() == 2


def test_sales_creating_too_many_licences_gets_429(client, client_user, sales, low_rates):
    client.force_login(sales)
    for _ in range(2):
        client.post("/agent/licences/new/", {})  # invalid, but a post all the same
    assert client.post("/agent/licences/new/", {}).status_code == 429


def test_no_text_longer_than_the_limit_from_anyone(client, client_user, servicedesk, walk,
                                                   settings):
    settings.COMMENT_MAX_LENGTH = 50
    r = walk(S.IN_PROGRESS)
    long_text = "x" * 51
    for actor, internal in ((client_user, False), (servicedesk, False), (servicedesk, True)):
        with pytest.raises(InvalidInput, match="50 caractères"):
            services.comment_add(actor=actor, request=r, body=long_text, is_internal=internal)
    with pytest.raises(InvalidInput, match="50 caractères"):
        services.request_ask_customer(actor=servicedesk, request=r, question=long_text)
    assert services.comment_add(actor=servicedesk, request=r, body="x" * 50).pk
    assert Request.objects.get(pk=r.pk).status == S.IN_PROGRESS
