"""Error pages keep the navigation of the reader's area: a client lost on a 404 or refused a
page still has "Mes demandes", an agent "Files d'attente"; a visitor signed out the bare
header."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_client_keeps_the_portals_navigation(client, client_user):
    client.force_login(client_user)
    for url, status in (("/portal/requests/SPT-999999/", 404), ("/agent/", 403)):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == status
        assert 'href="/portal/"' in html and "Mes demandes" in html and "Nouvelle demande" in html
        assert "Files d'attente" not in html


def test_an_agent_keeps_the_back_offices_navigation(client, servicedesk):
    client.force_login(servicedesk)
    response = client.get("/agent/requests/SPT-999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Files d&#x27;attente" in html or "Files d'attente" in html
    assert "Page introuvable" in html


def test_a_visitor_gets_the_bare_header(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page introuvable" in html and "Mes demandes" not in html
