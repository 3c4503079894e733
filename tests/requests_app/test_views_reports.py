"""The SLO report over HTTP (/agent/reports/slo/ and its CSV): back office only, exact
figures per month, priority and organisation with medians, the accessible SVG chart, filters
and their refusals, and a query count that does not grow with the data."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import services
from slo import rollups
from slo.calendar import calendar_cache_clear
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 5, 15, 12, tzinfo=ZURICH)
URL = reverse("reports:slo")
CSV_URL = reverse("reports:slo_csv")


def zurich(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZURICH)


def withdrawn(reporter, *, opened, withdrawn_at, priority="medium", frontdesk=None,
              qualified_at=None, type_code="support"):
    request = factories.make_request(reporter, priority_code=priority, type_code=type_code,
                                     at=opened)
    if qualified_at is not None:
        request = services.request_qualify(
            actor=frontdesk, request=request, request_type=request.request_type,
            priority=request.priority, module=factories.module(), version="24.1",
            environment="production", at=qualified_at,
        )
    return services.request_withdraw(actor=reporter, request=request, reason="Réglé.",
                                     at=withdrawn_at)


@pytest.fixture(autouse=True)
def _frozen():
    calendar_cache_clear()
    with time_machine.travel(NOW, tick=False):
        yield
    calendar_cache_clear()


@pytest.fixture
def history(client_user, outsider, frontdesk):
    """Verdicts in March and April 2026 (first response, resolution, business time):

    March  R1 Moyenne  Horlogerie  1 h met / 2 h met   (qualified at 09:00, withdrawn 10:00)
           R2 Bloquante Horlogerie 4 h 30 breached / 4 h 30 breached
           R3 Moyenne  Léman       4 h met / 4 h met   (exactly the first response target)
    April  R4 Moyenne  Horlogerie  1 h met / 1 h met
           R6 Moyenne  Horlogerie  3 h met / 3 h met
    May: one request still running, one Patch withdrawn (no clock).
    """
    withdrawn(client_user, opened=zurich(2026, 3, 2, 8), withdrawn_at=zurich(2026, 3, 2, 10),
              frontdesk=frontdesk, qualified_at=zurich(2026, 3, 2, 9))
    withdrawn(client_user, opened=zurich(2026, 3, 3, 8), withdrawn_at=zurich(2026, 3, 3, 14),
              priority="blocking")
    withdrawn(outsider, opened=zurich(2026, 3, 4, 8), withdrawn_at=zurich(2026, 3, 4, 12))
    withdrawn(client_user, opened=zurich(2026, 4, 1, 8), withdrawn_at=zurich(2026, 4, 1, 9))
    withdrawn(client_user, opened=zurich(2026, 4, 2, 8), withdrawn_at=zurich(2026, 4, 2, 11))
    factories.make_request(client_user, at=zurich(2026, 5, 11, 8))
    withdrawn(client_user, opened=zurich(2026, 5, 11, 8), withdrawn_at=zurich(2026, 5, 11, 9),
              type_code="patch")
    rollups.rollups_refresh()  # beat's minute: what the report reads


def login(client, user):
    client.force_login(user)
    return client


def table(html: str, section: str) -> list[list[str]]:
    """The body rows of a report table, as lists of cell texts."""
    import re

    start = html.index(f'id="slo-table-{section}"')
    body = html[html.index("<tbody>", start):html.index("</tbody>", start)]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([re.sub(r"\s+", " ", cell).strip() for cell in cells])
    return rows


class TestAccess:
    def test_anonymous_people_are_sent_to_sign_in(self, client) -> None:
        for url in (URL, CSV_URL):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_clients_are_refused(self, client, client_user) -> None:
        login(client, client_user)
        assert client.get(URL).status_code == 403
        assert client.get(CSV_URL).status_code == 403

    @pytest.mark.parametrize("role", ["frontdesk", "daily", "servicedesk", "expert", "rnd",
                                      "sales"])
    def test_every_back_office_role_sees_it(self, client, role, request) -> None:
        user = request.getfixturevalue(role if role != "rnd" else "rnd")
        login(client, user)
        assert client.get(URL).status_code == 200
        assert client.get(CSV_URL).status_code == 200


class TestFigures:
    def test_per_month_priority_and_organisation_with_medians(
        self, client, daily, history
    ) -> None:
        html = login(client, daily).get(URL, {"months": 3}).content.decode()
        assert table(html, "month") == [
            ["mars 2026", "Première réponse", "2", "1", "66,7 %", "4 h"],
            ["mars 2026", "Résolution", "2", "1", "66,7 %", "4 h"],
            ["avril 2026", "Première réponse", "2", "0", "100,0 %", "2 h"],
            ["avril 2026", "Résolution", "2", "0", "100,0 %", "2 h"],
            ["mai 2026", "Première réponse", "0", "0", "—", "—"],
            ["mai 2026", "Résolution", "0", "0", "—", "—"],
        ]
        assert table(html, "priority") == [
            ["Bloquante", "Première réponse", "0", "1", "0,0 %", "4 h 30"],
            ["Bloquante", "Résolution", "0", "1", "0,0 %", "4 h 30"],
            ["Moyenne", "Première réponse", "4", "0", "100,0 %", "2 h"],
            ["Moyenne", "Résolution", "4", "0", "100,0 %", "2 h 30"],
        ]
        assert table(html, "organisation") == [
            ["Chocolats du Léman SA", "Première réponse", "1", "0", "100,0 %", "4 h"],
            ["Chocolats du Léman SA", "Résolution", "1", "0", "100,0 %", "4 h"],
            ["Horlogerie du Jura SA", "Première réponse", "3", "1", "75,0 %", "2 h"],
            ["Horlogerie du Jura SA", "Résolution", "3", "1", "75,0 %", "2 h 30"],
        ]

    def test_period_and_clock_filters(self, client, daily, history) -> None:
        login(client, daily)
        html = client.get(URL, {"months": 1, "clock": "resolution"}).content.decode()
        assert table(html, "month") == [["mai 2026", "Résolution", "0", "0", "—", "—"]]
        html = client.get(URL, {"months": 3, "clock": "first_response"}).content.decode()
        assert [row[:2] for row in table(html, "month")] == [
            ["mars 2026", "Première réponse"], ["avril 2026", "Première réponse"],
            ["mai 2026", "Première réponse"]]

    def test_the_chart_is_an_accessible_svg_with_the_same_figures(
        self, client, daily, history
    ) -> None:
        html = login(client, daily).get(URL, {"months": 3}).content.decode()
        svg = html[html.index("<svg"):html.index("</svg>")]
        assert 'role="img"' in svg and 'aria-labelledby="slo-chart-title slo-chart-desc"' in svg
        assert '<title id="slo-chart-title">' in svg and '<desc id="slo-chart-desc">' in svg
        assert svg.count("<rect") == 4  # March and April, two clocks; May has no verdict
        assert "mars 2026, Première réponse : 66,7 % respectés (2 sur 3)" in svg
        assert "style=" not in html
        assert 'href="/static/css/slo.css"' in html or "slo.css" in html

    def test_bad_filters_are_refused_with_a_message(self, client, daily) -> None:
        login(client, daily)
        response = client.get(URL, {"months": "7", "clock": "nope"})
        assert response.status_code == 400
        assert "Sélectionnez un choix valide" in response.content.decode()
        assert client.get(CSV_URL, {"months": "abc"}).status_code == 400

    def test_the_query_count_does_not_grow_with_the_data(
        self, client, daily, client_user, outsider
    ) -> None:
        def march(count: int) -> None:
            for day in (2, 3, 4, 5, 6, 9, 10)[:count]:
                for reporter in (client_user, outsider):
                    withdrawn(reporter, opened=zurich(2026, 3, day, 8),
                              withdrawn_at=zurich(2026, 3, day, 15))

        login(client, daily)
        march(1)
        rollups.rollups_refresh()
        client.get(URL)  # warm the session and the calendar
        march(1)
        with CaptureQueriesContext(connection) as few:
            client.get(URL)  # March changed, not yet refreshed: read as it was
        march(7)
        rollups.rollups_refresh()
        with CaptureQueriesContext(connection) as many:
            response = client.get(URL)
        assert response.status_code == 200
        assert len(many) == len(few)
        # Read from the roll-ups, never from the clocks, whatever changed.
        assert not [q["sql"] for q in [*few, *many] if '"slo_sloclock"' in q["sql"]]

    def test_the_page_says_when_its_figures_were_computed(self, client, daily, history) -> None:
        login(client, daily)
        html = client.get(URL).content.decode()
        assert "Chiffres du 15 mai 2026 12:00, recalculés chaque minute." in " ".join(html.split())
        assert "Les derniers changements" not in html
        with time_machine.travel(zurich(2026, 5, 15, 12, 1), tick=False):
            glassworks = factories.OrganisationFactory(name="Verrerie SA")
            withdrawn(factories.make_client(glassworks, "verre"),
                      opened=zurich(2026, 5, 15, 8), withdrawn_at=zurich(2026, 5, 15, 9))
            html = " ".join(client.get(URL).content.decode().split())
            assert "Les derniers changements y entreront au prochain calcul." in html
            assert "Verrerie SA" not in html
            rollups.rollups_refresh()
            html = " ".join(client.get(URL).content.decode().split())
        assert "Chiffres du 15 mai 2026 12:01" in html and "Les derniers changements" not in html
        assert "Verrerie SA" in html

    def test_before_the_first_computation_the_page_says_so(self, client, daily) -> None:
        html = " ".join(login(client, daily).get(URL).content.decode().split())
        assert "Les chiffres n’ont pas encore été calculés : ils le sont chaque minute." in html


class TestCsv:
    def test_the_export_has_the_same_figures(self, client, daily, history) -> None:
        response = login(client, daily).get(CSV_URL, {"months": 3})
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert 'filename="rapport-slo-2026-03-2026-05.csv"' in response["Content-Disposition"]
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        assert rows[0] == ["Dimension", "Groupe", "Compteur", "Respectés", "Dépassés", "Total",
                           "Taux de respect (%)", "Médiane (minutes ouvrées)"]
        assert ["Par mois", "mars 2026", "Première réponse", "2", "1", "3", "67", "240"] in rows
        assert ["Par mois", "mai 2026", "Résolution", "0", "0", "0", "", ""] in rows
        assert ["Par priorité", "Moyenne", "Résolution", "4", "0", "4", "100", "150"] in rows
        assert ["Par organisation", "Horlogerie du Jura SA", "Première réponse", "3", "1", "4",
                "75", "120"] in rows

    def test_cells_that_look_like_formulas_are_neutralised(self, client, daily) -> None:
        org = factories.OrganisationFactory(name="=HYPERLINK(\"http://x\")")
        reporter = factories.make_client(org, "evil")
        withdrawn(reporter, opened=zurich(2026, 5, 11, 8), withdrawn_at=zurich(2026, 5, 11, 9))
        rollups.rollups_refresh()
        text = login(client, daily).get(CSV_URL).content.decode("utf-8")
        assert "'=HYPERLINK" in text
        assert "\n=HYPERLINK" not in text and ";=HYPERLINK" not in text
