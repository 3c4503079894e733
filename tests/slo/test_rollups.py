"""slo.rollups: the report read from the roll-ups equals the live computation (stored periods
and periods merged at read time, odd and even groups); every change of a verdict marks its
month and the report includes it after the next refresh (beat's minute), saying meanwhile
that changes are pending; the report's queries do not depend on the number of clocks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app import services
from requests_app.models import Organisation, Request
from requests_app.selectors.reports import ORGANISATION, PRIORITY, report_breakdowns
from slo import rollups
from slo.calendar import calendar_cache_clear
from slo.models import SloClock, SloRollup, SloRollupChange, SloRollupState
from slo.reports import PERIOD_CHOICES, slo_report, slo_report_live
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
NOW = datetime(2026, 5, 15, 12, tzinfo=ZURICH)


def zurich(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZURICH)


@pytest.fixture(autouse=True)
def _frozen():
    calendar_cache_clear()
    with time_machine.travel(NOW, tick=False):
        yield
    calendar_cache_clear()


def withdrawn(reporter, *, day: date, minutes: int, seconds: int = 0,
              priority: str = "medium") -> Request:
    """A request opened at 08:00 and withdrawn ``minutes`` (and ``seconds``) later: both of
    its clocks stop then, with that much business time (within the morning's hours)."""
    opened = zurich(day.year, day.month, day.day, 8)
    request = factories.make_request(reporter, priority_code=priority, at=opened)
    return services.request_withdraw(
        actor=reporter, request=request, reason="Réglé.",
        at=opened + timedelta(minutes=minutes, seconds=seconds))


# (day, organisation, priority, business minutes): four months, three priorities, two
# organisations; groups of one, two, three and more clocks (odd and even medians).
VERDICTS = [
    (date(2026, 1, 12), "jura", "medium", 75),
    (date(2026, 2, 2), "jura", "medium", 30),
    (date(2026, 2, 3), "jura", "high", 200),
    (date(2026, 2, 4), "leman", "medium", 95),
    (date(2026, 3, 2), "jura", "medium", 60),
    (date(2026, 3, 3), "jura", "medium", 121),
    (date(2026, 3, 4), "leman", "blocking", 190),
    (date(2026, 3, 5), "leman", "medium", 45),
    (date(2026, 3, 6), "jura", "high", 235),
    (date(2026, 4, 7), "jura", "medium", 10),
    (date(2026, 4, 8), "leman", "medium", 180),
    (date(2026, 4, 9), "leman", "high", 61),
    (date(2026, 5, 4), "jura", "blocking", 20),
    (date(2026, 5, 5), "leman", "medium", 140),
    (date(2026, 5, 6), "leman", "medium", 7),
]


@pytest.fixture
def reporters(client_user, outsider):
    return {"jura": client_user, "leman": outsider}


@pytest.fixture
def verdicts(reporters):
    for day, who, priority, minutes in VERDICTS:
        withdrawn(reporters[who], day=day, minutes=minutes, priority=priority)


def both(*, at: datetime, months: int, kinds: list[str] | None = None, refresh: bool = True):
    """The report from the roll-ups and the live computation; ``refresh``: after the minute's
    refresh (what beat runs), as a reader sees it a minute after the changes."""
    if refresh:
        rollups.rollups_refresh(now=at)
    breakdowns = report_breakdowns()
    return (
        slo_report(at=at, months=months, kinds=kinds, breakdowns=breakdowns),
        slo_report_live(at=at, months=months, kinds=kinds, breakdowns=breakdowns),
    )


class TestSameFiguresAsLive:
    @pytest.mark.parametrize("months", PERIOD_CHOICES)
    def test_the_current_months_stored_periods(self, verdicts, months) -> None:
        rolled, live = both(at=NOW, months=months)
        assert rolled == live
        assert any(row.total for row in rolled.rows_of(ORGANISATION))
        if months > 1:  # read from the stored period, not merged
            assert SloRollup.objects.filter(end_month=date(2026, 5, 1), months=months).exists()

    @pytest.mark.parametrize("months", [1, 2, 3, 6])
    def test_another_month_merged_when_read(self, verdicts, months) -> None:
        rolled, live = both(at=zurich(2026, 4, 20, 9), months=months)
        assert rolled == live

    def test_one_clock_kind(self, verdicts) -> None:
        rolled, live = both(at=NOW, months=6, kinds=["resolution"])
        assert rolled == live
        assert {row.kind for row in rolled.rows_of(PRIORITY)} == {"resolution"}

    def test_odd_and_even_medians(self, verdicts) -> None:
        rolled, _live = both(at=NOW, months=3, kinds=["resolution"])
        medians = {row.label: row.median_seconds for row in rolled.rows_of(ORGANISATION)}
        # Jura, March to May: 10, 20, 60, 121, 235 min (odd); Léman: 7, 45, 61, 140, 180, 190.
        assert medians == {"Horlogerie du Jura SA": 60 * 60,
                           "Chocolats du Léman SA": (61 + 140) * 30}

    def test_medians_over_seconds_exact_to_the_minute(self, reporters) -> None:
        for day, minutes, seconds in ((2, 10, 50), (3, 11, 40), (4, 30, 5), (5, 31, 59)):
            withdrawn(reporters["jura"], day=date(2026, 3, day), minutes=minutes,
                      seconds=seconds)
        withdrawn(reporters["jura"], day=date(2026, 4, 7), minutes=12, seconds=30)
        rolled, live = both(at=NOW, months=3, kinds=["resolution"])
        # Minutes merged: March 10, 11, 30, 31 -> 20 min 30 s (live: 20 min 52 s); March to
        # May 10, 11, 12, 30, 31 -> 12 min (live: 12 min 30 s). The page shows minutes.
        march = rolled.by_month[0]
        [row] = rolled.rows_of(ORGANISATION)
        [exact] = live.rows_of(ORGANISATION)
        assert (march.median_seconds, live.by_month[0].median_seconds) == (1230, 1252)
        assert (row.median_seconds, exact.median_seconds) == (12 * 60, 12 * 60 + 30)
        assert row.median_text == exact.median_text
        assert [(r.met, r.breached) for r in rolled.by_month] == [
            (r.met, r.breached) for r in live.by_month]

    def test_a_full_refresh_from_nothing(self, verdicts) -> None:
        SloRollup.objects.all().delete()
        SloRollupChange.objects.all().delete()
        assert rollups.rollups_refresh_all() == 5  # January to May
        assert not SloRollupChange.objects.exists()
        for months in PERIOD_CHOICES:
            with CaptureQueriesContext(connection) as captured:
                rolled, live = both(at=NOW, months=months)
            assert rolled == live
        assert not [q for q in captured.captured_queries[:4] if '"slo_sloclock"' in q["sql"]]


class TestChanges:
    def test_a_verdict_after_a_refresh_marks_its_month_and_the_next_report_has_it(
        self, verdicts, reporters
    ) -> None:
        rollups.rollups_refresh()
        assert not SloRollupChange.objects.exists()
        before, _live = both(at=NOW, months=6)
        assert (before.from_rollups, before.as_of, before.pending) == (True, NOW, False)
        withdrawn(reporters["jura"], day=date(2026, 5, 11), minutes=33)
        # One row per clock whose verdict changed (its two clocks stopped), both for May.
        assert list(SloRollupChange.objects.values_list("month", flat=True)) == [
            date(2026, 5, 1), date(2026, 5, 1)]
        # Until the minute's refresh the report reads the roll-ups as they were, and says so.
        stale, live = both(at=NOW, months=6, refresh=False)
        assert stale == before != live
        assert (stale.as_of, stale.pending) == (NOW, True)
        later = NOW + timedelta(minutes=1)
        after, live = both(at=later, months=6)
        assert after == live
        assert after.by_month[-1].total == before.by_month[-1].total + 1
        assert (after.as_of, after.pending) == (later, False)
        assert not SloRollupChange.objects.exists()

    def test_a_report_never_refreshes_and_never_waits_for_a_refresh(
        self, verdicts, reporters
    ) -> None:
        rollups.rollups_refresh()
        withdrawn(reporters["jura"], day=date(2026, 5, 11), minutes=33)
        with CaptureQueriesContext(connection) as captured:
            slo_report(at=NOW, months=6, breakdowns=report_breakdowns())
        sql = " ".join(q["sql"] for q in captured.captured_queries)
        assert '"slo_sloclock"' not in sql and "FOR UPDATE" not in sql
        assert SloRollupChange.objects.count() == 2  # left for the refresh

    def test_a_stop_marks_only_its_month_and_a_refresh_leaves_other_changes(
        self, verdicts, reporters
    ) -> None:
        rollups.rollups_refresh()
        request = factories.make_request(reporters["leman"], at=zurich(2026, 4, 27, 8))
        assert not SloRollupChange.objects.exists()  # running clocks: nothing to recompute
        services.request_withdraw(actor=reporters["leman"], request=request, reason="Réglé.",
                                  at=zurich(2026, 5, 4, 9))
        withdrawn(reporters["jura"], day=date(2026, 2, 5), minutes=15)
        assert rollups.rollups_dirty_months() == [date(2026, 2, 1), date(2026, 5, 1)]
        # A refresh of March to May recomputes May only; February waits for the next one.
        assert rollups.rollups_refresh(months=[date(2026, m, 1) for m in (3, 4, 5)]) == 1
        assert rollups.rollups_dirty_months() == [date(2026, 2, 1)]
        rolled, live = both(at=NOW, months=3, refresh=False)
        assert rolled == live
        assert rollups.rollups_refresh() == 1
        assert both(at=NOW, months=6)[0] == both(at=NOW, months=6)[1]

    def test_deleting_a_request_takes_its_verdicts_out(self, verdicts) -> None:
        rollups.rollups_refresh()
        doomed = Request.objects.filter(slo_clocks__stopped_at__gte=zurich(2026, 3, 4),
                                        slo_clocks__stopped_at__lt=zurich(2026, 3, 5)).first()
        Request.objects.filter(pk=doomed.pk).delete()  # the cascade deletes its clocks
        assert rollups.rollups_dirty_months() == [date(2026, 3, 1)]
        rolled, live = both(at=NOW, months=6)
        assert rolled == live
        # The blocking request of 4 March is gone; the one of 4 May remains.
        assert [row.total for row in rolled.rows_of(PRIORITY) if row.label == "Bloquante"] == [
            1, 1]

    def test_a_priority_change_after_the_stop_regroups_its_verdicts(
        self, verdicts, reporters, frontdesk, servicedesk
    ) -> None:
        request = factories.make_request(reporters["jura"], priority_code="blocking",
                                         at=zurich(2026, 5, 11, 8))
        request = services.request_qualify(  # the first response: Première réponse stops
            actor=frontdesk, request=request, request_type=request.request_type,
            priority=request.priority, module=factories.module(), version="24.1",
            environment="production", at=zurich(2026, 5, 11, 9))
        rollups.rollups_refresh()
        assert not rollups.rollups_dirty_months()
        services.request_update_details(actor=servicedesk, request=request,
                                        priority=factories.priority("low"),
                                        at=zurich(2026, 5, 12, 9))
        # The stopped clock kept its verdict, but it now counts under "Basse": the request
        # app says so (``slo_report_regroup``) and the month is refreshed.
        assert rollups.rollups_dirty_months() == [date(2026, 5, 1)]
        rolled, live = both(at=NOW, months=1, kinds=["first_response"])
        assert rolled == live

    def test_a_renamed_organisation_reads_under_its_new_name_and_place(self, verdicts) -> None:
        rollups.rollups_refresh()
        Organisation.objects.filter(name="Chocolats du Léman SA").update(name="Zurich Verre SA")
        rolled, live = both(at=NOW, months=6)
        assert rolled == live
        assert [row.label for row in rolled.rows_of(ORGANISATION)][::2] == [
            "Horlogerie du Jura SA", "Zurich Verre SA"]

    def test_the_nightly_repair_recomputes_what_no_change_announced(self, verdicts) -> None:
        rollups.rollups_refresh()
        # A priority changed behind the services' back: no change row says so.
        moved = SloClock.objects.filter(stopped_at__gte=zurich(2026, 4, 1)).first()
        Request.objects.filter(pk=moved.request_id).update(priority=factories.priority("low"))
        rolled, live = both(at=NOW, months=6)
        assert rolled != live  # the minute's refresh had nothing to do
        assert rollups.rollups_refresh_recent() == rollups.NIGHTLY_MONTHS
        rolled, live = both(at=NOW, months=6, refresh=False)
        assert rolled == live

    def test_a_new_month_merges_its_periods_until_the_first_refresh_builds_them(
        self, verdicts
    ) -> None:
        rollups.rollups_refresh()
        assert SloRollupState.objects.get().periods_end == date(2026, 5, 1)
        june = zurich(2026, 6, 1, 0, 5)
        with time_machine.travel(june, tick=False):
            rolled, live = both(at=june, months=6, refresh=False)
            assert rolled == live  # the months' histograms merged when read
            assert SloRollupState.objects.get().periods_end == date(2026, 5, 1)
            rolled, live = both(at=june, months=6)
        assert rolled == live
        assert SloRollupState.objects.get().periods_end == date(2026, 6, 1)
        assert set(SloRollup.objects.filter(months__gt=1).values_list("end_month", flat=True)) \
            == {date(2026, 6, 1)}

    def test_the_minutes_task_does_nothing_when_nothing_changed(self, verdicts) -> None:
        rollups.rollups_refresh()
        with CaptureQueriesContext(connection) as captured:
            assert rollups.rollups_refresh() == 0
        assert len(captured) == 2  # the state and the change rows, read

    def test_a_restricted_reader_gets_the_live_computation(self, verdicts) -> None:
        leman = Request.objects.filter(organisation__name="Chocolats du Léman SA")
        with CaptureQueriesContext(connection) as captured:
            report = slo_report(at=NOW, months=6, requests=leman,
                                breakdowns=report_breakdowns())
        assert not [q for q in captured.captured_queries if "slo_slorollup" in q["sql"]]
        assert [row.label for row in report.rows_of(ORGANISATION)][::2] == [
            "Chocolats du Léman SA"]


class TestQueryCount:
    def _requests(self, reporters, count: int, offset: int = 0) -> None:
        for index in range(offset, offset + count):
            withdrawn(reporters["jura" if index % 2 else "leman"],
                      day=date(2026, 3 + index % 3, 2 + index % 5), minutes=10 + index,
                      priority=("medium", "high")[index % 2])

    def _queries(self) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            slo_report(at=NOW, months=6, breakdowns=report_breakdowns())
        return [q["sql"] for q in captured.captured_queries]

    def test_the_same_with_5_and_with_50_requests(self, reporters) -> None:
        self._requests(reporters, 5)
        rollups.rollups_refresh()
        few = self._queries()
        self._requests(reporters, 45, offset=5)
        rollups.rollups_refresh()
        many = self._queries()
        # The state and the period's change rows read, the roll-ups, the breakdowns' names.
        assert len(few) == len(many) == 5
        assert not [sql for sql in many if '"slo_sloclock"' in sql]

    def test_the_same_with_5_and_with_50_requests_right_after_a_change(
        self, reporters
    ) -> None:
        self._requests(reporters, 6)
        self._queries()
        self._requests(reporters, 6, offset=6)  # March, April and May change
        few = self._queries()
        self._requests(reporters, 45, offset=12)
        many = self._queries()
        assert len(few) == len(many)


def test_the_migration_marks_every_month_from_the_first_verdict_to_the_last(verdicts) -> None:
    import importlib

    from django.apps import apps

    SloRollupChange.objects.all().delete()
    SloRollupState.objects.all().delete()
    migration = importlib.import_module("slo.migrations.0005_rollups")
    migration.mark_months_with_verdicts(apps, None)
    assert rollups.rollups_dirty_months() == [date(2026, month, 1) for month in range(1, 6)]
    assert SloRollupState.objects.filter(pk=1).exists()
    rolled, live = both(at=NOW, months=6)
    assert rolled == live


def test_the_beat_runs_the_refresh_every_minute_and_the_repair_nightly() -> None:
    from portal.celery import app
    from slo import tasks

    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"slo.tasks.refresh_rollups_task", "slo.tasks.repair_rollups_task"} <= schedule
    assert tasks.refresh_rollups_task() == 0
    assert tasks.repair_rollups_task() == rollups.NIGHTLY_MONTHS
