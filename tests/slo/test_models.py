"""The seeded SLO configuration, its validation, and default_calendar() on top of it."""

from __future__ import annotations

import uuid
from datetime import date, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from requests_app.models import Priority
from requests_app.workflow import RequestStatus
from slo.calendar import calendar_cache_clear, default_calendar, seeded_default_calendar
from slo.models import (
    REQUEST_STATUSES,
    BusinessCalendar,
    ClockAction,
    ClockKind,
    ClosureDay,
    SloTarget,
    StatusClockPolicy,
    WorkingPeriod,
)
from slo.selectors import status_clock_actions

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
HOUR = 3600


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    # A calendar cached by another test module must not leak in (nor ours leak out).
    calendar_cache_clear()
    yield
    calendar_cache_clear()


def zurich(*args: int):
    from datetime import datetime

    return datetime(*args, tzinfo=ZURICH)


def default_row() -> BusinessCalendar:
    return BusinessCalendar.objects.get(is_default=True)


class TestSeededDefaults:
    def test_one_default_calendar_with_the_design_hours(self) -> None:
        calendar = default_row()
        assert calendar.time_zone == "Europe/Zurich"
        assert calendar.canton == ""
        periods = sorted(
            (period.weekday, period.start, period.end) for period in calendar.working_periods.all()
        )
        assert periods == [
            (weekday, start, end)
            for weekday in range(5)
            for start, end in ((time(8), time(12)), (time(13, 30), time(17, 30)))
        ]
        assert not calendar.closure_days.exists()

    def test_status_policy(self) -> None:
        assert status_clock_actions() == {
            "open": "run",
            "qualified": "run",
            "in_progress": "run",
            "awaiting_triage": "run",
            "awaiting_rnd": "run",
            "awaiting_customer": "pause",
            "closed": "stop",
        }
        assert ClockAction.PAUSE.label == "Suspendu"
        assert ClockAction.RUN.label == "Le compteur tourne"
        assert ClockAction.STOP.label == "Stoppé"

    def test_targets_in_business_seconds(self) -> None:
        targets = {
            (target.priority.code, target.clock): (target.target_seconds, target.warning_ratio)
            for target in SloTarget.objects.select_related("priority")
        }
        first, resolution = ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION
        assert targets == {
            ("blocking", first): (30 * 60, Decimal("0.75")),
            ("blocking", resolution): (4 * HOUR, Decimal("0.75")),
            ("high", first): (2 * HOUR, Decimal("0.75")),
            ("high", resolution): (16 * HOUR, Decimal("0.75")),
            ("medium", first): (4 * HOUR, Decimal("0.75")),
            ("medium", resolution): (40 * HOUR, Decimal("0.75")),
            ("low", first): (8 * HOUR, Decimal("0.75")),
            ("low", resolution): (80 * HOUR, Decimal("0.75")),
        }
        assert ClockKind.FIRST_RESPONSE.label == "Première réponse"
        assert ClockKind.RESOLUTION.label == "Résolution"

    def test_warning_seconds(self) -> None:
        target = SloTarget.objects.get(priority__code="blocking", clock=ClockKind.RESOLUTION)
        assert target.warning_seconds == 3 * HOUR

    def test_policy_statuses_are_the_request_statuses(self) -> None:
        assert [(code, str(label)) for code, label in REQUEST_STATUSES] == [
            (status.value, str(status.label)) for status in RequestStatus
        ]


class TestDefaultCalendar:
    def test_is_the_seeded_configuration(self) -> None:
        calendar = default_calendar()
        assert calendar.time_zone == ZURICH
        assert calendar.weekly_spans == seeded_default_calendar().weekly_spans
        assert calendar.canton is None
        assert calendar.add_business_seconds(zurich(2026, 11, 27, 16, 30), 2 * HOUR) == zurich(
            2026, 11, 30, 9
        )
        assert calendar.is_closed(date(2026, 5, 14))

    def test_cached_call_costs_one_query(self, django_assert_num_queries) -> None:
        first = default_calendar()
        with django_assert_num_queries(1):
            assert default_calendar() is first

    def test_sees_a_closure_day_added_and_removed(self) -> None:
        calendar = default_calendar()
        assert calendar.business_seconds_between(zurich(2026, 12, 24), zurich(2026, 12, 25)) == (
            8 * HOUR
        )
        closure = ClosureDay.objects.create(
            calendar=default_row(), date=date(2026, 12, 24), label="Veille de Noël"
        )
        assert (
            default_calendar().business_seconds_between(zurich(2026, 12, 24), zurich(2026, 12, 25))
            == 0
        )
        closure.delete()
        assert (
            default_calendar().business_seconds_between(zurich(2026, 12, 24), zurich(2026, 12, 25))
            == 8 * HOUR
        )

    def test_sees_changed_hours_and_canton(self) -> None:
        row = default_row()
        WorkingPeriod.objects.create(calendar=row, weekday=5, start=time(9), end=time(12))
        assert default_calendar().weekly_business_seconds == 43 * HOUR
        row.canton = "VD"
        row.save()
        assert default_calendar().is_closed(date(2026, 4, 6))  # Easter Monday in Vaud

    def test_change_from_another_process_is_seen(self) -> None:
        """Another process's edit does not clear this process's cache: the revision does."""
        default_calendar()
        row = default_row()
        # Written as another process would appear to us: no signal fires in this one.
        WorkingPeriod.objects.filter(calendar=row, weekday=0, start=time(8)).update(end=time(11))
        BusinessCalendar.objects.filter(pk=row.pk).update(revision=uuid.uuid4())
        assert default_calendar().weekly_business_seconds == 39 * HOUR

    def test_rolled_back_change_is_forgotten(self) -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            ClosureDay.objects.create(
                calendar=default_row(), date=date(2026, 12, 24), label="Veille de Noël"
            )
            assert default_calendar().is_closed(date(2026, 12, 24))
            raise RuntimeError("roll back")
        assert not default_calendar().is_closed(date(2026, 12, 24))

    def test_without_a_default_row_falls_back_to_the_seed(self) -> None:
        BusinessCalendar.objects.update(is_default=False)
        calendar = default_calendar()
        assert calendar is seeded_default_calendar()


class TestValidation:
    def test_period_must_start_before_it_ends(self) -> None:
        period = WorkingPeriod(calendar=default_row(), weekday=5, start=time(12), end=time(8))
        with pytest.raises(ValidationError):
            period.full_clean()

    def test_periods_must_not_overlap(self) -> None:
        period = WorkingPeriod(calendar=default_row(), weekday=0, start=time(11), end=time(14))
        with pytest.raises(ValidationError, match="chevauche"):
            period.full_clean()
        WorkingPeriod(
            calendar=default_row(), weekday=0, start=time(12), end=time(13, 30)
        ).full_clean()

    def test_closure_day_unique_per_calendar(self) -> None:
        ClosureDay.objects.create(calendar=default_row(), date=date(2026, 12, 24), label="Veille")
        duplicate = ClosureDay(calendar=default_row(), date=date(2026, 12, 24), label="Encore")
        with pytest.raises(ValidationError):
            duplicate.full_clean()

    def test_single_default_calendar(self) -> None:
        other = BusinessCalendar(name="Genève", canton="GE", is_default=True)
        with pytest.raises(ValidationError, match="déjà le calendrier par défaut"):
            other.full_clean()

    def test_time_zone_and_canton_are_checked(self) -> None:
        with pytest.raises(ValidationError) as error:
            BusinessCalendar(name="X", time_zone="Mars/Olympus", canton="XX").full_clean()
        assert set(error.value.message_dict) == {"time_zone", "canton"}

    def test_target_unique_per_priority_and_clock(self) -> None:
        duplicate = SloTarget(
            priority=Priority.objects.get(code="high"),
            clock=ClockKind.RESOLUTION,
            target_seconds=HOUR,
        )
        with pytest.raises(ValidationError):
            duplicate.full_clean()

    def test_status_policy_status_is_unique(self) -> None:
        with pytest.raises(ValidationError):
            StatusClockPolicy(status="open", clock_action=ClockAction.PAUSE).full_clean()
