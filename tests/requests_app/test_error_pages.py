"""Error pages keep the navigation of the reader's area: a client lost on a 404 or refused a
page still has "Mes demandes", an agent "Files d'attente"; a visitor signed out the bare
header. A server error gets the portal's look without the database: its page is
standalone."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import path
from django.utils import translation
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("boom")


# The URLconf of the 500 test (ROOT_URLCONF = this module): no handler500, like portal.urls,
# so Django's default renders 500.html with an empty context.
urlpatterns = [path("boom/", _boom)]


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


def test_a_server_error_shows_the_portals_500_page(client, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Erreur du serveur</h1>" in html
    assert "<a href=\"/\">Retour à l'accueil</a>" in html
    assert "spt-header" in html and "/static/css/spt.css" in html


def test_the_500_page_needs_neither_the_database_nor_a_request(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = render_to_string("500.html")
        response = server_error(RequestFactory().get("/"))
    assert "Erreur du serveur" in html and 'lang="fr"' in html
    assert response.status_code == 500 and "Erreur du serveur" in response.content.decode()
    with translation.override("de"):
        assert "Serverfehler" in render_to_string("500.html")
