"""Sales administration (/agent/licences/new/): a Licence request opened on behalf of a
client contact, who becomes its reporter and sees it in the portal; nobody else may."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from requests_app import selectors
from requests_app.models import EventKind, Request, RequestEvent
from tests import factories

URL = "/agent/licences/new/"


def licence_form(org, contact, **overrides) -> dict:
    data = {
        "organisation": org.pk,
        "reporter": contact.pk,
        "title": "Clé de licence 2027",
        "description": "Renouvellement annuel, **25 utilisateurs**.",
        "priority": factories.priority().pk,
        "modules": [factories.module("finance").pk, factories.module("logistique").pk],
        "users": "25",
        "validity": (timezone.localdate() + timedelta(days=365)).isoformat(),
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_only_sales_administration_gets_the_page(client, client_user, frontdesk, daily,
                                                 servicedesk, expert, rnd, sales, org_a):
    assert client.get(URL).status_code == 302
    for user in (client_user, frontdesk, daily, servicedesk, expert, rnd):
        client.force_login(user)
        assert client.get(URL).status_code == 403, user
        assert client.post(URL, licence_form(org_a, client_user)).status_code == 403, user
        if user != client_user:
            assert "Nouvelle licence" not in client.get("/agent/").content.decode()
    assert not Request.objects.exists()
    client.force_login(sales)
    html = client.get(URL).content.decode()
    assert "Nouvelle demande de licence" in html
    assert "Nouvelle licence" in client.get("/agent/").content.decode()
    # The contacts are grouped by organisation.
    assert '<optgroup label="Horlogerie du Jura SA">' in html


@pytest.mark.django_db
def test_sales_creates_a_licence_the_client_then_sees(client, sales, client_user, org_a):
    client.force_login(sales)
    response = client.post(URL, licence_form(org_a, client_user))
    licence = Request.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/agent/requests/{licence.key}/"
    assert (licence.request_type.code, licence.reporter, licence.created_by,
            licence.organisation) == ("licence", client_user, sales, org_a)
    assert licence.details == {
        "modules": "Finance, Logistique", "users": 25,
        "validity": (timezone.localdate() + timedelta(days=365)).isoformat(),
    }
    created = RequestEvent.objects.get(request=licence, kind=EventKind.CREATED)
    assert created.actor == sales
    assert created.payload["on_behalf_of"] == (client_user.get_full_name()
                                               or client_user.username)
    page = client.get(response["Location"]).content.decode()
    assert "pour le compte de" in page and licence.key in page

    # The client sees it in the portal, reporter of it.
    assert licence in selectors.request_list_visible_to(client_user)
    client.force_login(client_user)
    assert licence.key in client.get("/portal/").content.decode()
    detail = client.get(f"/portal/requests/{licence.key}/")
    assert detail.status_code == 200
    assert "pour le compte de" in detail.content.decode()


@pytest.mark.django_db
def test_the_reporter_must_belong_to_the_organisation(client, sales, org_a, org_b,
                                                      outsider, client_user):
    client.force_login(sales)
    response = client.post(URL, licence_form(org_a, outsider))
    assert response.status_code == 400
    assert "n&#x27;est pas un contact de Horlogerie du Jura SA" in response.content.decode()
    assert not Request.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [
    ("title", ""), ("description", ""), ("users", "0"), ("users", "beaucoup"),
    ("validity", "2000-01-01"), ("validity", "demain"), ("modules", []),
    ("reporter", "999999"), ("organisation", ""),
])
def test_bad_input_is_a_400_with_the_form_again(field, value, client, sales, client_user,
                                                org_a):
    client.force_login(sales)
    response = client.post(URL, licence_form(org_a, client_user, **{field: value}))
    assert response.status_code == 400
    assert "Le formulaire contient" in response.content.decode()
    assert not Request.objects.exists()


@pytest.mark.django_db
def test_an_agent_who_is_not_sales_cannot_open_a_licence_anywhere(client, servicedesk,
                                                                  client_user, org_a):
    client.force_login(servicedesk)
    assert client.post(URL, licence_form(org_a, client_user)).status_code == 403
    assert not Request.objects.exists()
