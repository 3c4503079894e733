"""The back office's dashboard (/agent/dashboard/): the open backlog by status and age, created
versus closed per week, SLO compliance per month, the list at risk and "ma charge", exact on a
small known history; its charts (every bar with its value written, zero included) and their
tables; the access rule; and a fixed number of queries whatever the volume."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import services
from requests_app.charts import Series, bar_chart, count_maximum, horizontal_bar_chart
from requests_app.selectors.dashboard import dashboard_for, week_starts
from requests_app.workflow import RequestStatus as S
from slo import rollups
from slo.calendar import calendar_cache_clear
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
# A Wednesday: the current week began on Monday 11 May.
NOW = datetime(2026, 5, 13, 10, tzinfo=ZURICH)
URL = reverse("agent:dashboard")


@pytest.fixture(autouse=True)
def _frozen():
    calendar_cache_clear()
    with time_machine.travel(NOW, tick=False):
        yield
    calendar_cache_clear()


@pytest.fixture
def history(client_user, outsider, frontdesk, daily, servicedesk, servicedesk2, walk):
    """Open: Ouvert 2 h old (Bloquante: at risk), Qualifié 2 days, En cours 5 days
    (servicedesk), En attente client 10 days (servicedesk), En cours 40 days (servicedesk2,
    Léman). Withdrawn: opened Sunday 10 May and closed 12 May, two opened Monday 4 May and
    closed 5 May, one opened 2 March and closed 3 March."""
    made = {
        "open": factories.make_request(client_user, priority_code="blocking",
                                       at=NOW - timedelta(hours=2)),
        "qualified": walk(S.QUALIFIED, at=NOW - timedelta(days=2)),
        "in_progress": walk(S.IN_PROGRESS, at=NOW - timedelta(days=5)),
        "waiting": walk(S.AWAITING_CUSTOMER, at=NOW - timedelta(days=10)),
    }
    old = factories.make_request(outsider, at=NOW - timedelta(days=40))
    old = services.request_qualify(
        actor=frontdesk, request=old, request_type=old.request_type, priority=old.priority,
        module=factories.module(), version="24.1", environment="production")
    made["old"] = services.request_start(actor=daily, request=old, assignee=servicedesk2)
    for opened, closed in ((NOW - timedelta(days=3), NOW - timedelta(days=1)),
                           (NOW - timedelta(days=9), NOW - timedelta(days=8)),
                           (NOW - timedelta(days=9), NOW - timedelta(days=8)),
                           (NOW - timedelta(days=72), NOW - timedelta(days=71))):
        r = factories.make_request(client_user, at=opened)
        services.request_withdraw(actor=client_user, request=r, reason="Réglé.", at=closed)
    rollups.rollups_refresh()
    return made


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def table_rows(html: str, caption: str) -> list[list[str]]:
    start = html.index(f'<caption class="visually-hidden">{caption}</caption>')
    body = html[html.index("<tbody>", start):html.index("</tbody>", start)]
    return [[text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


class TestFigures:
    def test_backlog_by_status_and_age(self, history, daily) -> None:
        backlog = dashboard_for(daily, at=NOW).backlog
        assert backlog.counts == {
            #                  <1d 1-3 3-7 7-30 >30
            S.OPEN:             [1, 0, 0, 0, 0],
            S.QUALIFIED:        [0, 1, 0, 0, 0],
            S.IN_PROGRESS:      [0, 0, 1, 0, 1],
            S.AWAITING_TRIAGE:  [0, 0, 0, 0, 0],
            S.AWAITING_RND:     [0, 0, 0, 0, 0],
            S.AWAITING_CUSTOMER: [0, 0, 0, 1, 0],
        }
        assert [count for _bucket, count in backlog.by_age] == [1, 1, 1, 1, 1]
        assert backlog.total == 5

    def test_created_and_closed_per_week_over_twelve_weeks(self, history, daily) -> None:
        weeks = dashboard_for(daily, at=NOW).weeks
        assert [w.start.isoformat() for w in (weeks[0], weeks[-1])] == ["2026-02-23",
                                                                          "2026-05-11"]
        assert len(weeks) == 12
        figures = {w.start.isoformat(): (w.created, w.closed) for w in weeks
                   if w.created or w.closed}
        assert figures == {
            "2026-03-02": (1, 1),   # opened 2 March, withdrawn 3 March
            "2026-03-30": (1, 0),   # the Léman request, 40 days old (3 April)
            "2026-04-27": (1, 0),   # Sunday 3 May: the week before
            "2026-05-04": (4, 2),   # 8 May, Sunday 10 May, two on 4 May withdrawn 5 May
            "2026-05-11": (2, 1),   # 13 May, 11 May; the one withdrawn 12 May
        }

    def test_my_load_and_the_list_at_risk(self, history, daily, servicedesk) -> None:
        mine = dashboard_for(servicedesk, at=NOW)
        assert {status: n for status, n in mine.my_load.items() if n} == {
            S.IN_PROGRESS: 1, S.AWAITING_CUSTOMER: 1}
        assert dashboard_for(daily, at=NOW).my_load_total == 0
        # Breached: the Léman request, 40 days in work (Moyenne: 40 business hours), and the
        # Bloquante one opened two hours ago (first response within 30 minutes); nearest
        # due first, as in the queue.
        at_risk = dashboard_for(daily, at=NOW)
        assert [row.key for row in at_risk.at_risk] == [history["old"].key,
                                                        history["open"].key]
        assert at_risk.at_risk_count == 2
        assert all(clock.is_over for clock in at_risk.at_risk_clocks.values())

    def test_the_weeks_are_mondays_in_zurich(self) -> None:
        sunday_night = datetime(2026, 3, 29, 23, 30, tzinfo=ZURICH)  # DST began that night
        starts = week_starts(at=sunday_night)
        assert starts[-1] == datetime(2026, 3, 23, tzinfo=ZURICH)
        assert all(start.weekday() == 0 and start.hour == 0 for start in starts)
        assert starts[0] == datetime(2026, 1, 5, tzinfo=ZURICH)


class TestPage:
    def test_every_chart_has_its_values_written_and_its_table(
        self, client, history, servicedesk
    ) -> None:
        client.force_login(servicedesk)
        response = client.get(URL)
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count('role="img"') == 5
        for title in ("Demandes ouvertes par statut", "Demandes ouvertes par ancienneté",
                      "Demandes créées et fermées par semaine, les 12 dernières semaines",
                      "Taux de respect des délais SLO par mois",
                      "Mes demandes ouvertes par statut"):
            assert f">{title}</title>" in html
        assert table_rows(html, "Demandes ouvertes par statut et par ancienneté") == [
            ["Ouvert", "1", "0", "0", "0", "0", "1"],
            ["Qualifié", "0", "1", "0", "0", "0", "1"],
            ["En cours", "0", "0", "1", "0", "1", "2"],
            ["En attente triage", "0", "0", "0", "0", "0", "0"],
            ["En attente R&amp;D", "0", "0", "0", "0", "0", "0"],
            ["En attente client", "0", "0", "0", "1", "0", "1"]]
        assert table_rows(html, "Demandes créées et fermées par semaine, les 12 dernières "
                          "semaines")[-1] == ["Semaine du 11 mai 2026", "2", "1"]
        assert table_rows(html, "Mes demandes ouvertes par statut")[2] == ["En cours", "1"]
        # A bar at zero is drawn and says 0; no inline style anywhere (CSP).
        status_svg = html[html.index('id="dashboard-status-title"'):]
        status_svg = status_svg[:status_svg.index("</svg>")]
        assert status_svg.count("<rect") == 6
        assert re.findall(r'class="spt-chart-value"[^>]*>([^<]*)<', status_svg) == [
            "1", "1", "2", "0", "0", "1"]
        assert 'width="2.0"' in status_svg  # the bars at zero
        assert "style=" not in html
        text = text_of(html)
        assert "Assignées à vous 2" in text
        assert history["open"].key in text
        assert 'href="/agent/queues/slo-a-risque/"' in html

    def test_the_navigation_links_to_it(self, client, daily) -> None:
        client.force_login(daily)
        html = client.get(URL).content.decode()
        assert re.search(r'href="/agent/dashboard/" aria-current="page">Tableau de bord<', html)
        assert 'href="/agent/dashboard/"' in client.get(reverse("agent:home")).content.decode()

    def test_an_empty_backlog_still_draws_its_bars_at_zero(self, client, daily) -> None:
        client.force_login(daily)
        html = client.get(URL).content.decode()
        # Horizontal bars at zero are 2 wide (backlog by status and by age, "ma charge"),
        # vertical ones 2 high (the weeks); the SLO months without verdict are dashes.
        assert html.count('width="2.0"') == 6 + 5 + 6
        assert html.count('height="2.0"') == 24
        slo = html[html.index('id="dashboard-slo-title"'):]
        assert re.findall(r'class="spt-chart-value"[^>]*>([^<]*)<',
                          slo[:slo.index("</svg>")]) == ["—"] * 12
        assert "Aucune demande ouverte n'a passé son seuil d'alerte SLO." in html


class TestAccess:
    def test_anonymous_people_sign_in_first(self, client) -> None:
        response = client.get(URL)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_clients_are_refused(self, client, client_user) -> None:
        client.force_login(client_user)
        assert client.get(URL).status_code == 403

    @pytest.mark.parametrize("role", ["frontdesk", "daily", "servicedesk", "expert", "rnd",
                                      "sales"])
    def test_every_back_office_role_sees_it(self, client, role, request) -> None:
        client.force_login(request.getfixturevalue(role))
        assert client.get(URL).status_code == 200

    def test_sales_administration_counts_what_it_sees_only(self, history, sales,
                                                           client_user) -> None:
        factories.make_licence(sales, client_user)
        backlog = dashboard_for(sales, at=NOW).backlog
        assert backlog.total == 1 and backlog.counts[S.OPEN] == [1, 0, 0, 0, 0]
        assert dashboard_for(sales, at=NOW).at_risk == []

    def test_a_post_is_refused(self, client, daily) -> None:
        client.force_login(daily)
        assert client.post(URL).status_code == 405


def test_the_page_runs_the_same_queries_for_few_and_many_requests(
    client, daily, client_user, servicedesk, walk
) -> None:
    def requests(count: int) -> None:
        for index in range(count):
            r = factories.make_request(client_user, at=NOW - timedelta(days=index * 3 % 60))
            if index % 3 == 0:
                services.request_withdraw(actor=client_user, request=r, reason="Réglé.")

    client.force_login(daily)
    requests(2)
    walk(S.IN_PROGRESS)
    rollups.rollups_refresh()
    client.get(URL)  # the process's copies of the reference data and people
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    requests(30)
    for _ in range(3):
        walk(S.IN_PROGRESS)
    factories.make_request(client_user, priority_code="blocking",
                           at=NOW - timedelta(days=2))
    rollups.rollups_refresh()
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(few) == len(many), [q["sql"][:80] for q in many.captured_queries]
    # session, user, roles, profile; backlog, two weeks' flows, three of the SLO roll-ups,
    # the list at risk, its clocks, its count, my load.
    assert len(many) <= 16, [q["sql"][:80] for q in many.captured_queries]
    # Never the clocks whole: compliance comes from the roll-ups.
    assert not [q for q in many.captured_queries if 'FROM "slo_sloclock"' in q["sql"]
                and "IN (" not in q["sql"]]


class TestCharts:
    def test_bars_at_zero_and_without_figure(self) -> None:
        chart = bar_chart(categories=["a", "b", "c"], maximum=4, series=[Series(
            key="n", label="n", values=[0, 4, None], texts=["0", "4", "—"],
            titles=["a", "b", "c"])])
        assert [bar.height for bar in chart.bars] == [2.0, chart.baseline - 22]
        across = horizontal_bar_chart(categories=["a", "b"], maximum=4, series=Series(
            key="n", label="n", values=[0, 4], texts=["0", "4"], titles=["a", "b"]))
        assert [bar.width for bar in across.bars] == [2.0, 420 - 124 - 40]
        assert [value.x for value in across.values] == [124 + 2 + 5, 420 - 40 + 5]
        assert [value.text for value in chart.values] == ["0", "4", "—"]
        assert chart.values[0].y < chart.baseline and not chart.values[0].rotate

    def test_crowded_values_are_written_upwards(self) -> None:
        chart = bar_chart(categories=[str(n) for n in range(24)], maximum=100, series=[
            Series(key=k, label=k, values=[100] * 24, texts=["100 %"] * 24, titles=[""] * 24)
            for k in ("a", "b")])
        assert all(value.rotate for value in chart.values)
        assert min(value.y for value in chart.values) > 0

    @pytest.mark.parametrize(("top", "maximum"), [(0, 4), (3, 4), (5, 8), (9, 12),
                                                  (20, 20), (90, 100), (999, 1000)])
    def test_count_axes_end_on_round_numbers(self, top, maximum) -> None:
        assert count_maximum([top]) == maximum


def test_the_slo_reports_chart_writes_each_share_even_at_zero() -> None:
    """The SLO report's own chart: a month at 0 % is a thin bar under "0 %", not an empty
    chart; a month without any verdict a dash."""
    from datetime import date

    from slo.reports import ReportRow, SloReport, compliance_chart

    report = SloReport(
        start=datetime(2026, 3, 1, tzinfo=ZURICH), end=datetime(2026, 5, 1, tzinfo=ZURICH),
        months=[date(2026, 3, 1), date(2026, 4, 1)], kinds=["first_response"],
        by_month=[ReportRow(key="2026-03", label="mars 2026", kind="first_response",
                            breached=3),
                  ReportRow(key="2026-04", label="avril 2026", kind="first_response")],
    )
    chart = compliance_chart(report)
    assert [bar.height for bar in chart.bars] == [2.0]
    assert [value.text for value in chart.values] == ["0\u202f%", "—"]
    assert chart.values[0].y < chart.bars[0].y


class TestStoredFigures:
    """Beat counts the backlog and the weeks once a minute; the back office reads them."""

    def test_the_page_reads_what_beat_counted_a_moment_ago(self, client, history, daily,
                                                           client_user) -> None:
        from requests_app.services.dashboard import dashboard_figures_refresh

        live = dashboard_for(daily, at=NOW)
        dashboard_figures_refresh()
        later = NOW + timedelta(minutes=1)
        with time_machine.travel(later, tick=False):
            factories.make_request(client_user)  # after the count: not in it yet
            stored = dashboard_for(daily, at=later)
            assert (stored.backlog, stored.weeks) == (live.backlog, live.weeks)
            assert stored.figures_as_of == NOW
            client.force_login(daily)
            with CaptureQueriesContext(connection) as captured:
                html = client.get(URL).content.decode()
        assert "chiffres du 13 mai 2026 10:00, recalculés chaque minute." in text_of(html)
        # Never counted over the requests for the page: one row read instead.
        counting = [q["sql"] for q in captured.captured_queries
                    if 'FROM "requests_app_request"' in q["sql"] and "COUNT(" in q["sql"]
                    and ("created_at" in q["sql"] or "closed_at" in q["sql"])]
        assert counting == []
        assert sum('"requests_app_dashboardfigures"' in q["sql"]
                   for q in captured.captured_queries) == 1

    def test_old_or_odd_figures_are_counted_again_for_the_page(self, history, daily) -> None:
        from requests_app.models import DashboardFigures
        from requests_app.services.dashboard import dashboard_figures_refresh

        dashboard_figures_refresh(at=NOW - timedelta(minutes=11))  # beat stopped
        assert dashboard_for(daily, at=NOW).figures_as_of is None
        dashboard_figures_refresh()
        DashboardFigures.objects.update(backlog={"open": [1, 2]})  # another code's shape
        figures = dashboard_for(daily, at=NOW)
        assert figures.figures_as_of is None and figures.backlog.total == 5

    def test_a_reader_who_sees_a_part_has_it_counted(self, history, sales,
                                                    client_user) -> None:
        from requests_app.services.dashboard import dashboard_figures_refresh

        factories.make_licence(sales, client_user)
        dashboard_figures_refresh()
        figures = dashboard_for(sales, at=NOW)
        assert figures.figures_as_of is None and figures.backlog.total == 1

    def test_beat_runs_the_count_every_minute(self, history) -> None:
        from portal.celery import app
        from requests_app.models import DashboardFigures
        from requests_app.tasks import refresh_dashboard_figures_task

        entry = app.conf.beat_schedule["dashboard-figures"]
        assert entry["task"] == "requests_app.tasks.refresh_dashboard_figures_task"
        assert str(entry["schedule"]) == str(__import__("celery").schedules.crontab())
        refresh_dashboard_figures_task()
        stored = DashboardFigures.objects.get()
        assert stored.computed_at == NOW
        assert stored.backlog["in_progress"] == [0, 0, 1, 0, 1]
        assert stored.weeks[-1] == ["2026-05-11", 2, 1]
