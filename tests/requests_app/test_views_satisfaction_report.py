"""The satisfaction report over HTTP (/agent/reports/satisfaction/ and its CSV): from the
client's confirmation to the figures per month, agent (the assignee at confirmation) and
organisation — count, average, distribution —, its accessible charts, the CSV in the reader's
words, the roles of the SLO report, bad filters refused, and a fixed number of queries."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import services
from requests_app.permissions import Role
from requests_app.selectors.satisfaction import satisfaction_report
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 5, 15, 12, tzinfo=ZURICH)
URL = reverse("reports:satisfaction")
CSV_URL = reverse("reports:satisfaction_csv")


def zurich(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZURICH)


@pytest.fixture
def rate(frontdesk, daily):
    """``rate(reporter, agent, when, rating)``: a request of ``reporter`` taken by ``agent``,
    its resolution proposed and confirmed at ``when`` with ``rating`` (None: none given)."""

    def make(reporter, agent, when, rating):
        with time_machine.travel(when, tick=False):
            r = factories.make_request(reporter)
            r = services.request_qualify(
                actor=frontdesk, request=r, request_type=r.request_type, priority=r.priority,
                module=factories.module(), version="24.1", environment="production")
            r = services.request_start(actor=daily, request=r, assignee=agent)
            r = services.request_propose_resolution(actor=agent, request=r,
                                                    resolution="Corrigé.")
            return services.resolution_confirm(actor=reporter, request=r, rating=rating)

    return make


@pytest.fixture
def history(rate, client_user, outsider, servicedesk, servicedesk2):
    """March: Horlogerie 5 and 4 (servicedesk). April: Léman 2 and Horlogerie 5
    (servicedesk2). May: Léman 1 (servicedesk), and a confirmation without rating. January
    (outside three months): Horlogerie 3 (servicedesk)."""
    rate(client_user, servicedesk, zurich(2026, 1, 20, 10), 3)
    rate(client_user, servicedesk, zurich(2026, 3, 2, 10), 5)
    rate(client_user, servicedesk, zurich(2026, 3, 31, 23), 4)  # still March in Zurich
    rate(outsider, servicedesk2, zurich(2026, 4, 1, 0, 30), 2)
    rate(client_user, servicedesk2, zurich(2026, 4, 15, 9), 5)
    rate(outsider, servicedesk, zurich(2026, 5, 4, 9), 1)
    rate(client_user, servicedesk, zurich(2026, 5, 5, 9), None)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def table(html: str, section: str) -> list[list[str]]:
    start = html.index(f'id="satisfaction-table-{section}"')
    body = html[html.index("<tbody>", start):html.index("</tbody>", start)]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells])
    return rows


class TestAccess:
    def test_anonymous_people_are_sent_to_sign_in(self, client) -> None:
        for url in (URL, CSV_URL):
            response = client.get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_clients_are_refused(self, client, client_user) -> None:
        client.force_login(client_user)
        assert client.get(URL).status_code == 403
        assert client.get(CSV_URL).status_code == 403

    @pytest.mark.parametrize("role", ["frontdesk", "daily", "servicedesk", "expert", "rnd",
                                      "sales"])
    def test_the_roles_of_the_slo_report_see_it(self, client, role, request) -> None:
        client.force_login(request.getfixturevalue(role))
        assert client.get(URL).status_code == 200
        assert client.get(CSV_URL).status_code == 200

    def test_sales_administration_reads_only_the_requests_it_sees(
        self, client, history, sales
    ) -> None:
        client.force_login(sales)
        html = client.get(URL, {"months": 3}).content.decode()
        assert table(html, "month") == [["mars 2026", "0", "—", "0", "0", "0", "0", "0"],
                                        ["avril 2026", "0", "—", "0", "0", "0", "0", "0"],
                                        ["mai 2026", "0", "—", "0", "0", "0", "0", "0"]]
        assert "Aucune note sur cette période." in html


class TestFigures:
    def test_per_month_agent_and_organisation(
        self, client, daily, history, servicedesk, servicedesk2
    ) -> None:
        client.force_login(daily)
        html = client.get(URL, {"months": 3}).content.decode()
        assert table(html, "month") == [
            ["mars 2026", "2", "4,5", "0", "0", "0", "1", "1"],
            ["avril 2026", "2", "3,5", "0", "1", "0", "0", "1"],
            ["mai 2026", "1", "1,0", "1", "0", "0", "0", "0"],
        ]
        agents = {row[0]: row[1:] for row in table(html, "agent")}
        assert agents == {
            servicedesk.get_full_name(): ["3", "3,3", "1", "0", "0", "1", "1"],
            servicedesk2.get_full_name(): ["2", "3,5", "0", "1", "0", "0", "1"],
        }
        assert table(html, "organisation") == [
            ["Chocolats du Léman SA", "2", "1,5", "1", "1", "0", "0", "0"],
            ["Horlogerie du Jura SA", "3", "4,7", "0", "0", "0", "1", "2"],
        ]
        text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
        assert "Notes 5 Note moyenne 3,4 / 5" in text

    def test_six_months_include_january(self, daily, history) -> None:
        report = satisfaction_report(at=NOW, months=6)
        assert [row.total for row in report.by_month] == [0, 1, 0, 2, 2, 1]
        assert report.overall.total == 6

    def test_the_charts_are_accessible_svgs_with_every_value_written(
        self, client, daily, history
    ) -> None:
        client.force_login(daily)
        html = client.get(URL, {"months": 3}).content.decode()
        assert html.count('role="img"') == 2
        average = html[html.index('id="satisfaction-average-title"'):]
        average = average[:average.index("</svg>")]
        assert ">Note moyenne de satisfaction par mois</title>" in html
        assert re.findall(r'class="spt-chart-value"[^>]*>([^<]*)<', average) == [
            "4,5", "3,5", "1,0"]
        assert "mars 2026 : note moyenne 4,5 sur 5 (2 notes)" in average
        distribution = html[html.index('id="satisfaction-distribution-title"'):]
        distribution = distribution[:distribution.index("</svg>")]
        assert re.findall(r'class="spt-chart-value"[^>]*>([^<]*)<', distribution) == [
            "1", "1", "0", "1", "2"]
        assert distribution.count("<rect") == 5  # the note given 0 times has its bar too
        assert "style=" not in html

    def test_an_empty_period_says_so_and_draws_dashes(self, client, daily) -> None:
        client.force_login(daily)
        html = client.get(URL).content.decode()
        assert "Aucune note sur cette période." in html
        average = html[html.index('id="satisfaction-average-title"'):]
        assert re.findall(r'class="spt-chart-value"[^>]*>([^<]*)<',
                          average[:average.index("</svg>")]) == ["—"] * 6

    @pytest.mark.parametrize("months", ["7", "abc", "0", "-1", "99999999999999999999"])
    def test_bad_filters_are_refused_with_a_message(self, client, daily, months) -> None:
        client.force_login(daily)
        response = client.get(URL, {"months": months})
        assert response.status_code == 400
        assert "Sélectionnez un choix valide" in response.content.decode()
        assert client.get(CSV_URL, {"months": months}).status_code == 400

    def test_the_query_count_does_not_grow_with_the_ratings(
        self, client, daily, rate, client_user, outsider, servicedesk, servicedesk2
    ) -> None:
        client.force_login(daily)
        rate(client_user, servicedesk, zurich(2026, 5, 4, 9), 4)
        client.get(URL)  # the session, the copies of the reference rows and of the people
        with CaptureQueriesContext(connection) as few:
            client.get(URL)
        for day in range(4, 14):
            rate(outsider if day % 2 else client_user,
                 servicedesk2 if day % 3 else servicedesk, zurich(2026, 4, day, 9), day % 5 + 1)
        with CaptureQueriesContext(connection) as many:
            response = client.get(URL)
        assert response.status_code == 200
        assert len(few) == len(many)
        read = [q["sql"] for q in many.captured_queries]
        # The tallies, per month, per agent, per organisation: neither the ratings nor the
        # requests counted while the reader waits.
        assert len([sql for sql in read if '"requests_app_satisfactiontally"' in sql]) == 3
        assert not [sql for sql in read if '"requests_app_satisfactionrating"' in sql]


class TestTallies:
    """The unfiltered report reads the tallies the service keeps; the filtered one counts the
    ratings. Both must say the same, to the rating."""

    def test_the_tallies_give_the_report_of_the_ratings(
        self, frontdesk, daily, history, rate, client_user, outsider, servicedesk, servicedesk2
    ) -> None:
        # Changed in the following month: counted in March still, under its new note.
        r = rate(outsider, servicedesk2, zurich(2026, 3, 31, 22), 1)
        services.satisfaction_rate(actor=outsider, request=r, rating=4, at=zurich(2026, 4, 3))
        # An agent who leaves (their account deleted): their ratings go unassigned. Given the
        # request after its resolution was proposed, they wrote nothing that keeps them.
        leaver = factories.make_agent(Role.SERVICEDESK, username="leaver")
        with time_machine.travel(zurich(2026, 4, 20, 9), tick=False):
            r = factories.make_request(client_user)
            r = services.request_qualify(
                actor=frontdesk, request=r, request_type=r.request_type, priority=r.priority,
                module=factories.module(), version="24.1", environment="production")
            r = services.request_start(actor=daily, request=r, assignee=servicedesk)
            r = services.request_propose_resolution(actor=servicedesk, request=r,
                                                    resolution="Corrigé.")
            r = services.request_assign(actor=daily, request=r, assignee=leaver)
            services.resolution_confirm(actor=client_user, request=r, rating=3)
        leaver.delete()
        for months in (1, 3, 6, 12):
            kept = satisfaction_report(at=NOW, months=months)
            assert kept == satisfaction_report(at=NOW, months=months, live=True)
        report = satisfaction_report(at=NOW, months=3)
        assert [row.counts for row in report.by_month] == [
            (0, 0, 0, 2, 1), (0, 1, 1, 0, 1), (1, 0, 0, 0, 0)]
        assert [row.label for row in report.by_agent][-1] == "Non assignée"
        assert report.by_agent[-1].counts == (0, 0, 1, 0, 0)

    def test_the_tally_read_costs_the_same_for_5_and_for_50_ratings(
        self, rate, client_user, outsider, servicedesk, servicedesk2
    ) -> None:
        def rated(count: int) -> None:
            for index in range(count):
                when = zurich(2026, 1 + index % 5, 1 + index // 5, 9)
                rate(outsider if index % 2 else client_user,
                     servicedesk2 if index % 3 else servicedesk, when, index % 5 + 1)

        rated(5)
        satisfaction_report(at=NOW, months=6)  # the copies of the reference rows and people
        with CaptureQueriesContext(connection) as few:
            five = satisfaction_report(at=NOW, months=6)
        rated(45)
        with CaptureQueriesContext(connection) as many:
            fifty = satisfaction_report(at=NOW, months=6)
        assert (five.overall.total, fifty.overall.total) == (5, 50)
        assert len(few) == len(many) == 3
        assert fifty == satisfaction_report(at=NOW, months=6, live=True)


class TestCsv:
    def test_the_export_has_the_same_figures_in_the_readers_words(
        self, client, daily, history, servicedesk
    ) -> None:
        client.force_login(daily)
        response = client.get(CSV_URL, {"months": 3})
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert 'filename="satisfaction-2026-03-2026-05.csv"' in response["Content-Disposition"]
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        assert rows[0] == ["Dimension", "Groupe", "Notes", "Note moyenne",
                           "1 — Très insatisfait", "2 — Insatisfait",
                           "3 — Ni satisfait ni insatisfait", "4 — Satisfait",
                           "5 — Très satisfait"]
        assert ["Par mois", "mars 2026", "2", "4,50", "0", "0", "0", "1", "1"] in rows
        assert ["Par mois", "mai 2026", "1", "1,00", "1", "0", "0", "0", "0"] in rows
        assert ["Par agent", servicedesk.get_full_name(), "3", "3,33", "1", "0", "0", "1",
                "1"] in rows
        assert ["Par organisation", "Horlogerie du Jura SA", "3", "4,67", "0", "0", "0", "1",
                "2"] in rows

    def test_cells_that_look_like_formulas_are_neutralised(
        self, client, daily, rate, servicedesk
    ) -> None:
        org = factories.OrganisationFactory(name="=HYPERLINK(\"http://x\")")
        rate(factories.make_client(org, "evil"), servicedesk, zurich(2026, 5, 4, 9), 5)
        client.force_login(daily)
        text = client.get(CSV_URL).content.decode("utf-8")
        assert "'=HYPERLINK" in text
        assert "\n=HYPERLINK" not in text and ";=HYPERLINK" not in text


def test_the_benchmark_backlog_has_ratings_the_pages_read(client, daily) -> None:
    from django.core.management import call_command

    from requests_app.models import EventKind, Request, RequestEvent, SatisfactionRating
    from requests_app.workflow import ConfirmationState

    call_command("seed_volume", requests=400, stdout=open("/dev/null", "w"))  # noqa: SIM115
    ratings = SatisfactionRating.objects.select_related("request")
    closed = Request.objects.filter(status="closed").count()
    assert 0.2 * closed < ratings.count() < 0.4 * closed
    assert all(r.request.confirmation_state == ConfirmationState.CONFIRMED
               and r.organisation_id == r.request.organisation_id
               and r.agent_id == r.request.assignee_id for r in ratings)
    assert RequestEvent.objects.filter(kind=EventKind.SATISFACTION_RATED).count() == (
        ratings.count())
    # Written past the service, counted into the tallies after: the report reads them right.
    report = satisfaction_report(at=NOW, months=24)
    assert report.overall.total == ratings.count()
    assert report == satisfaction_report(at=NOW, months=24, live=True)
    client.force_login(daily)
    for url in (URL, CSV_URL, reverse("agent:dashboard")):
        assert client.get(url, {"months": 24} if url != reverse("agent:dashboard") else {}
                          ).status_code == 200
