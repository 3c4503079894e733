"""SLO reads: the configuration (calendar, policy, targets). What pages show of the clocks is
in ``slo.display``; the report's aggregates in ``slo.reports``.

``slo.calendar.default_calendar()`` is the public entry point for the calendar: it caches and
calls the two functions below.
"""

from __future__ import annotations

import uuid

from django.db.models import Prefetch

from slo.calendar import WorkingCalendar
from slo.engine import Target
from slo.models import BusinessCalendar, ClosureDay, SloTarget, StatusClockPolicy, WorkingPeriod


def business_calendar_default_revision() -> uuid.UUID | None:
    """The revision of the default calendar row, ``None`` when there is none (one query)."""
    return (
        BusinessCalendar.objects.filter(is_default=True).values_list("revision", flat=True).first()
    )


def business_calendar_get_default() -> BusinessCalendar | None:
    """The default calendar row with its periods and closure days prefetched (3 queries)."""
    return (
        BusinessCalendar.objects.filter(is_default=True)
        .prefetch_related(
            Prefetch(
                "working_periods", queryset=WorkingPeriod.objects.order_by("weekday", "start")
            ),
            Prefetch("closure_days", queryset=ClosureDay.objects.order_by("date")),
        )
        .first()
    )


def working_calendar_default() -> tuple[uuid.UUID, WorkingCalendar] | None:
    """(revision, value object) of the default calendar row, or ``None`` without one."""
    row = business_calendar_get_default()
    if row is None:
        return None
    return row.revision, row.to_working_calendar()


def status_clock_actions() -> dict[str, str]:
    """``{status code: "run" | "pause" | "stop"}`` from the status clock policy (one query).

    Statuses missing from the policy are absent; callers treat them as
    ``"run"``, the policy's default.
    """
    return dict(StatusClockPolicy.objects.values_list("status", "clock_action"))


def _target(target_seconds: int, warning_ratio) -> Target:
    return Target(seconds=target_seconds, warning_seconds=int(target_seconds * warning_ratio))


def slo_targets_for_priority(priority_id: int) -> dict[str, Target]:
    """``{clock kind: Target}`` of one priority (one query); kinds without a target absent."""
    return {
        clock: _target(seconds, ratio)
        for clock, seconds, ratio in SloTarget.objects.filter(priority_id=priority_id)
        .order_by()  # the admin's order joins the priorities: not needed here
        .values_list("clock", "target_seconds", "warning_ratio")
    }


def slo_targets_all() -> dict[tuple[int, str], Target]:
    """``{(priority id, clock kind): Target}`` for every priority (one query)."""
    return {
        (priority_id, clock): _target(seconds, ratio)
        for priority_id, clock, seconds, ratio in SloTarget.objects.order_by().values_list(
            "priority_id", "clock", "target_seconds", "warning_ratio"
        )
    }
