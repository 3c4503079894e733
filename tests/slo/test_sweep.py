"""The sweep: each warning and each breach recorded and notified once, even when run twice;
only due rows are read (through the partial indexes) and only they are written."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.models import EventKind, OutboundMessage, RequestEvent
from slo import services as slo_services
from slo.calendar import calendar_cache_clear
from slo.models import SloClock
from slo.tasks import sweep_clocks_task
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
MONDAY = datetime(2026, 3, 2, 8, tzinfo=ZURICH)
NOW = MONDAY + timedelta(hours=3, minutes=30)  # Monday 11:30

CROSSINGS: list[dict] = []


def record_crossing(**kwargs) -> None:
    """A stand-in for settings.SLO_CROSSING_HANDLER that only remembers its calls."""
    CROSSINGS.append(kwargs)


@pytest.fixture
def recording_handler(settings):
    CROSSINGS.clear()
    settings.SLO_CROSSING_HANDLER = "tests.slo.test_sweep.record_crossing"
    yield CROSSINGS
    CROSSINGS.clear()


@pytest.fixture
def requests_at_monday_8(client_user):
    """Opened Monday 08:00: Bloquante (30 min / 4 h), Moyenne (4 h / 40 h), Basse (8 h /
    80 h) and a Patch (no clock)."""
    calendar_cache_clear()
    return {
        code: factories.make_request(client_user, priority_code=code, at=MONDAY)
        for code in ("blocking", "medium", "low")
    } | {"patch": factories.make_request(client_user, type_code="patch", at=MONDAY)}


def clock(request, kind) -> SloClock:
    return SloClock.objects.get(request=request, kind=kind)


def test_each_crossing_is_recorded_once_and_only_due_rows_are_read(
    requests_at_monday_8, recording_handler, django_assert_num_queries
) -> None:
    made = requests_at_monday_8
    # At 11:30: Bloquante's first response warned (08:22:30) and breached (after 08:30), its
    # resolution warned (11:00); Moyenne's first response warned (11:00). Nothing else.
    expected = {
        (made["blocking"].pk, "first_response", "warning", MONDAY + timedelta(minutes=22.5)),
        (made["blocking"].pk, "first_response", "breach", MONDAY + timedelta(minutes=30)),
        (made["blocking"].pk, "resolution", "warning", MONDAY + timedelta(hours=3)),
        (made["medium"].pk, "first_response", "warning", MONDAY + timedelta(hours=3)),
    }
    untouched = [clock(made["medium"], "resolution"), clock(made["low"], "first_response"),
                 clock(made["low"], "resolution")]

    # Two indexed reads (one per kind of crossing); then, for each kind that has due rows, a
    # transaction (a savepoint here, inside the test's) that locks and re-reads the due rows,
    # marks them with one UPDATE, and hands each over in a savepoint of its own.
    with CaptureQueriesContext(connection) as first_run:
        result = slo_services.clocks_sweep(now=NOW)
    assert (result.warnings, result.breaches) == (3, 1)
    assert {(c["request_id"], c["clock"], c["crossing"], c["at"]) for c in recording_handler} == (
        expected)
    assert len(first_run) == 2 + 2 * 4 + 2 * len(expected)

    reads = [q["sql"] for q in first_run if q["sql"].startswith("SELECT")]
    assert len(reads) == 4
    warn_read, breach_read = (sql for sql in reads if "LIMIT" in sql)
    for sql in reads:  # every read is limited to due rows
        assert '"slo_sloclock"."state" = \'running\'' in sql
    for sql, marker, instant, operator in ((warn_read, "warned_at", "warn_at", "<="),
                                           (breach_read, "breached_at", "due_at", "<")):
        assert '"slo_sloclock"."state" = \'running\'' in sql
        assert f'"slo_sloclock"."{marker}" IS NULL' in sql
        assert f'"slo_sloclock"."{instant}" {operator}' in sql
        assert "LIMIT" in sql
    writes = [q["sql"] for q in first_run if q["sql"].startswith("UPDATE")]
    assert len(writes) == 2
    written = {int(pk) for sql in writes
               for pk in re.search(r'"id" IN \(([\d, ]+)\)', sql).group(1).split(",")}
    assert written == {clock(made["blocking"], "first_response").pk,
                       clock(made["blocking"], "resolution").pk,
                       clock(made["medium"], "first_response").pk}
    for row in untouched:
        row.refresh_from_db()
        assert (row.warned_at, row.breached_at) == (None, None)
    if connection.vendor == "sqlite":
        # The reads go through the partial indexes, never a scan of the table.
        with connection.cursor() as cursor:
            for sql, index in ((warn_read, "slo_clock_warn_due"),
                               (breach_read, "slo_clock_breach_due")):
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = " ".join(str(row[-1]) for row in cursor.fetchall())
                assert f"USING INDEX {index}" in plan, plan

    # The second run (or a concurrent one) finds nothing: two reads, no write, no call.
    recording_handler.clear()
    with django_assert_num_queries(2):
        again = slo_services.clocks_sweep(now=NOW + timedelta(seconds=30))
    assert (again.warnings, again.breaches, recording_handler) == (0, 0, [])
    assert clock(made["blocking"], "first_response").breached_at == NOW


def test_a_claimed_crossing_is_not_handed_over_twice(
    requests_at_monday_8, recording_handler
) -> None:
    """Two sweeps that read the same due rows: the conditional UPDATE lets one of them win."""
    made = requests_at_monday_8
    row = clock(made["blocking"], "first_response")
    SloClock.objects.filter(pk=row.pk).update(warned_at=NOW)  # the other run claimed it
    slo_services.clocks_sweep(now=NOW)
    assert not any(
        c["request_id"] == made["blocking"].pk and c["clock"] == "first_response"
        and c["crossing"] == "warning" for c in recording_handler
    )


def test_a_failing_handler_leaves_the_crossing_for_the_next_run(
    requests_at_monday_8, settings
) -> None:
    settings.SLO_CROSSING_HANDLER = "tests.slo.test_sweep.failing_handler"
    result = slo_services.clocks_sweep(now=NOW)
    assert (result.warnings, result.breaches) == (0, 0)
    assert not SloClock.objects.filter(warned_at__isnull=False).exists()


def failing_handler(**kwargs) -> None:
    raise RuntimeError("mail server on fire")


def test_paused_and_stopped_clocks_are_never_swept(
    walk, servicedesk, recording_handler
) -> None:
    paused = walk("awaiting_customer", priority_code="blocking")
    closed = walk("closed", priority_code="blocking")
    far = datetime.now(tz=ZURICH) + timedelta(days=60)
    slo_services.clocks_sweep(now=far)
    assert recording_handler == []  # nothing is running: first responses met, rest paused
    assert not SloClock.objects.filter(request__in=[paused, closed],
                                       breached_at__isnull=False).exists()


def test_with_the_real_handler_each_crossing_is_one_history_line_and_one_set_of_emails(
    walk, daily, servicedesk
) -> None:
    request = walk("in_progress", priority_code="blocking")
    started = SloClock.objects.get(request=request, kind="resolution")
    later = started.due_at + timedelta(hours=1)
    first = slo_services.clocks_sweep(now=later)
    events = RequestEvent.objects.filter(
        request=request, kind__in=[EventKind.SLO_WARNING, EventKind.SLO_BREACHED])
    mails = OutboundMessage.objects.filter(request=request, kind__in=["slo_warning",
                                                                     "slo_breached"])
    assert (first.warnings, first.breaches) == (1, 1)
    assert sorted(events.values_list("kind", "payload__clock")) == [
        ("slo_breached", "resolution"), ("slo_warning", "resolution")]
    assert all(event.is_internal for event in events)
    recipients = set(mails.values_list("recipient__username", flat=True))
    assert recipients == {"servicedesk", "daily"}
    sent = mails.count()

    second = slo_services.clocks_sweep(now=later + timedelta(minutes=1))
    assert (second.warnings, second.breaches) == (0, 0)
    assert events.count() == 2 and mails.count() == sent


def test_the_beat_task_sweeps_at_the_current_time(walk, recording_handler) -> None:
    walk("in_progress")
    assert sweep_clocks_task.apply().get() == {"warnings": 0, "breaches": 0}
