"""SLO writes: the clocks of a request, the sweep of crossings, and the recomputation after a
configuration change.

The request app calls exactly two functions, inside its own transaction and with the request
row locked, handing over an :class:`~slo.subjects.SloSubject` (the request as the clocks need
it): :func:`clocks_sync` after creation and after every change of status, priority or type,
and :func:`first_response_record`. The rules themselves are in ``slo.engine`` (pure); this
module loads rows, asks the engine, stores the answer.

``slo`` never imports the request app and reads none of its tables: its inputs are handed to
it (``slo.subjects``), a crossing goes to the function named in
``settings.SLO_CROSSING_HANDLER``, and the recomputation asks the one named in
``settings.SLO_SUBJECT_PROVIDER`` for the subjects of the clocks it revisits and hands the
requests' new nearest instants to ``settings.SLO_NEAREST_RECORDER``.

Decisions where DESIGN §5 is silent:

* A request whose type is not subject to the SLO has no clock. When its type changes *away*
  from Support its clocks are deleted (it no longer counts in the report nor shows a clock; a
  warning or breach already recorded stays in its history). When its type changes *to*
  Support, its clocks are built as if it had always been one, from the history the subject
  carries.
* A stopped clock keeps its verdict: a later priority or target change does not judge it
  again. A priority without a target for a clock gets no such clock; a priority change to one
  without a target keeps the current target.
* A breach is recorded once per clock: a clock over its target stays breached through
  pauses, resumes and priority changes. Only a change that puts it back under its target (a
  lower priority, a longer target) lifts the breach — the caller is told, and the request's
  history says so — and a later crossing of the new target is a new breach.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min
from django.utils.module_loading import import_string

from slo import engine, rollups, selectors
from slo.calendar import WorkingCalendar, default_calendar
from slo.models import SloClock
from slo.subjects import BreachLifted, ClocksSynced, Nearest, SloSubject

logger = logging.getLogger(__name__)

# SloClock columns that mirror slo.engine.Clock, field for field.
_CLOCK_FIELDS = tuple(field.name for field in fields(engine.Clock))
_STATE_FIELDS = tuple(name for name in _CLOCK_FIELDS if name not in ("kind", "started_at"))


def clock_from_row(row: SloClock) -> engine.Clock:
    return engine.Clock(**{name: getattr(row, name) for name in _CLOCK_FIELDS})


def _row_update(
    row: SloClock, clock: engine.Clock, *, at: datetime, calendar: WorkingCalendar
) -> tuple[list[str], bool]:
    """Copy ``clock`` onto ``row``: the names of the columns to save, and whether a recorded
    breach was lifted."""
    for name in _STATE_FIELDS:
        setattr(row, name, getattr(clock, name))
    update = list(_STATE_FIELDS)
    # A warning threshold moved back into the future will be crossed anew.
    if row.warned_at is not None and clock.warn_at is not None and clock.warn_at > at:
        row.warned_at = None
        update.append("warned_at")
    # A breach holds while the clock is over its target, whatever pauses or resumes; only a
    # clock back under its target forgets it.
    lifted = row.breached_at is not None and not engine.clock_is_over(
        clock, at=at, calendar=calendar
    )
    if lifted:
        row.breached_at = None
        update.append("breached_at")
    return update, lifted


def _verdict(clock: engine.Clock | None) -> tuple | None:
    """What the SLO report counts of a clock: its verdict, when it was given, after how long."""
    if clock is None or not clock.is_stopped:
        return None
    return (clock.state, clock.stopped_at, clock.consumed_seconds)


def _rollups_follow(before: engine.Clock | None, after: engine.Clock) -> None:
    """A verdict given, changed or withdrawn: the report's roll-ups of the month it was in
    and of the month it is in are out of date (one insert, in this transaction). A clock's
    deletion is followed by a signal (``slo.signals``), which also sees a request's."""
    old, new = _verdict(before), _verdict(after)
    if old != new:
        rollups.rollups_mark(old[1] if old else None, new[1] if new else None)


def _row_new(request_id: int, clock: engine.Clock) -> SloClock:
    return SloClock(request_id=request_id, **{name: getattr(clock, name) for name in _CLOCK_FIELDS})


def _clocks_from_history(
    subject: SloSubject, *, at: datetime, kinds: set[str], targets: dict[str, engine.Target],
    actions: dict[str, str], calendar: WorkingCalendar,
) -> list[engine.Clock]:
    if subject.created_at >= at:  # being created: no past to replay
        initial_status, changes, first_response_at = subject.status, [], None
    else:
        history = subject.history()
        initial_status = history.initial_status
        changes = [(change.at, change.status) for change in history.status_changes]
        first_response_at = history.first_response_at
    clocks = engine.clocks_replay(
        created_at=subject.created_at,
        status_changes=changes,
        first_response_at=first_response_at,
        actions=actions,
        targets={kind: target for kind, target in targets.items() if kind in kinds},
        at=at,
        calendar=calendar,
        initial_status=initial_status,
    )
    return list(clocks.values())


def _clock_bring_up_to_date(
    row: SloClock, *, target: engine.Target | None, action: str, at: datetime,
    calendar: WorkingCalendar, reschedule: bool = False,
) -> bool | None:
    """Apply the current target, status policy (and calendar) to one stored clock and save
    it if it changed. ``None``: unchanged; otherwise whether a breach was lifted."""
    before = clock_from_row(row)
    clock = engine.clock_reschedule(before, calendar=calendar) if reschedule else before
    if target is not None:
        clock = engine.clock_retarget(clock, target, at=at, calendar=calendar)
    clock = engine.clock_apply(clock, action, at=at, calendar=calendar)
    if clock == before:
        return None
    update, lifted = _row_update(row, clock, at=at, calendar=calendar)
    row.save(update_fields=update)
    _rollups_follow(before, clock)
    return lifted


def clocks_nearest(request_ids: Iterable[int]) -> dict[int, Nearest]:
    """The nearest due and warning instants of each request's running clocks (one grouped
    query; requests without a running clock get an empty ``Nearest``)."""
    ids = list(request_ids)
    found = {
        row["request_id"]: Nearest(due_at=row["due"], warn_at=row["warn"])
        for row in SloClock.objects.filter(request_id__in=ids, state=engine.RUNNING)
        .order_by().values("request_id").annotate(due=Min("due_at"), warn=Min("warn_at"))
    }
    return {pk: found.get(pk, Nearest()) for pk in ids}


def clocks_sync(*, subject: SloSubject, at: datetime) -> ClocksSynced:
    """Bring the request's clocks in line with its type, priority and status at ``at``.

    Called after creation and after every change of status, priority or type. Idempotent.
    Returns the nearest instants now (the caller stores them on the request) and the
    breaches the change lifted (the caller records them in the history).
    """
    if not subject.subject_to_slo:
        SloClock.objects.filter(request_id=subject.request_id).delete()
        return ClocksSynced(nearest=Nearest())
    rows = {
        row.kind: row
        for row in SloClock.objects.select_for_update().filter(request_id=subject.request_id)
    }
    targets = selectors.slo_targets_for_priority(subject.priority_id)
    actions = selectors.status_clock_actions()
    calendar = default_calendar()
    missing = set(targets) - set(rows)
    if missing:
        built = _clocks_from_history(
            subject, at=at, kinds=missing, targets=targets, actions=actions, calendar=calendar,
        )
        SloClock.objects.bulk_create([_row_new(subject.request_id, clock) for clock in built])
        # A replay (type changed to one subject to the SLO) may give verdicts in past months.
        rollups.rollups_mark(*(clock.stopped_at for clock in built if clock.is_stopped))
    action = actions.get(subject.status, engine.RUN)
    lifted = []
    for kind, row in rows.items():
        if _clock_bring_up_to_date(row, target=targets.get(kind), action=action, at=at,
                                   calendar=calendar):
            lifted.append(BreachLifted(request_id=subject.request_id, clock=kind))
    return ClocksSynced(nearest=clocks_nearest([subject.request_id])[subject.request_id],
                        lifted=tuple(lifted))


def first_response_record(*, subject: SloSubject, at: datetime) -> Nearest | None:
    """Stop the Première réponse clock: the first response happened at ``at``. Idempotent:
    only the first call counts. Returns the request's nearest instants when they changed
    (``None``: nothing changed)."""
    if not subject.subject_to_slo:
        return None
    row = (
        SloClock.objects.select_for_update()
        .filter(
            request_id=subject.request_id, kind=engine.FIRST_RESPONSE,
            state__in=engine.OPEN_STATES,
        )
        .first()
    )
    if row is None:
        return None
    calendar = default_calendar()
    before = clock_from_row(row)
    clock = engine.clock_stop(before, at=at, calendar=calendar)
    update, _lifted = _row_update(row, clock, at=at, calendar=calendar)
    row.save(update_fields=update)
    _rollups_follow(before, clock)
    return clocks_nearest([subject.request_id])[subject.request_id]


# ------------------------------------------------------------------------------ the sweep


@dataclass(frozen=True)
class SweepResult:
    warnings: int
    breaches: int


# (crossing, marker column, instant column, lookup on the instant): a warning is crossed when
# the warning threshold is reached, a breach once working time passes beyond ``due_at``.
_CROSSINGS = (
    ("warning", "warned_at", "warn_at", "lte"),
    ("breach", "breached_at", "due_at", "lt"),
)


def crossing_handler():
    return import_string(settings.SLO_CROSSING_HANDLER)


def clocks_sweep(*, now: datetime, limit: int = 1000) -> SweepResult:
    """Record each warning and each breach that came due, once, and hand it to the handler.

    Reads only due rows, through the partial indexes on ``warn_at`` and ``due_at`` (running
    clocks whose crossing is not recorded yet): one indexed query per kind of crossing, and
    nothing more on the usual minute when nothing is due. Due rows are then claimed in one
    transaction: locked (``FOR UPDATE SKIP LOCKED`` where the database has it, so that a
    concurrent sweep skips them; SQLite serialises writers anyway), marked by one ``UPDATE …
    WHERE <marker> IS NULL``, and handed over one by one, each in a savepoint: a handler that
    fails leaves its crossing unmarked for the next run and the others recorded. A second or
    concurrent run finds nothing. At most ``limit`` crossings of each kind per run.
    """
    handler = crossing_handler()
    counts = {}
    for crossing, marker, instant, lookup in _CROSSINGS:
        due = {
            "state": engine.RUNNING,
            f"{marker}__isnull": True,
            f"{instant}__{lookup}": now,
        }
        candidates = list(
            SloClock.objects.filter(**due)
            .order_by(instant, "pk")
            .values_list("pk", flat=True)[:limit]
        )
        counts[crossing] = (
            _crossings_record(handler, crossing, marker, instant, due, candidates, now)
            if candidates else 0
        )
    return SweepResult(warnings=counts["warning"], breaches=counts["breach"])


def _crossings_record(handler, crossing: str, marker: str, instant: str, due: dict,
                      candidates: list[int], now: datetime) -> int:
    lock: dict[str, Any] = {}
    if connection.features.has_select_for_update_skip_locked:
        lock["skip_locked"] = True
    recorded = 0
    with transaction.atomic():
        claimed = list(
            SloClock.objects.select_for_update(**lock)
            .filter(pk__in=candidates, **due)
            .order_by(instant, "pk")
            .values_list("pk", "request_id", "kind", instant)
        )
        if not claimed:
            return 0
        SloClock.objects.filter(pk__in=[row[0] for row in claimed], **due).update(
            **{marker: now}
        )
        for pk, request_id, kind, when in claimed:
            try:
                with transaction.atomic():
                    handler(request_id=request_id, clock=kind, crossing=crossing, at=when)
                recorded += 1
            except Exception:  # one bad row must not hold back the others
                logger.exception("SLO %s of clock %s not recorded; retried next run",
                                 crossing, pk)
                SloClock.objects.filter(pk=pk).update(**{marker: None})
    return recorded


# ------------------------------------------------------------------------------ recompute


def subject_provider() -> Callable[[Iterable[int]], dict[int, SloSubject]]:
    """``(request ids) -> {request id: SloSubject}``, from the app that owns the requests."""
    return import_string(settings.SLO_SUBJECT_PROVIDER)


def clocks_recompute(*, at: datetime, batch_size: int = 500) -> int:
    """Apply the current configuration to every open clock (running or paused): the
    calendar (instants recomputed), the targets (elapsed time kept) and the status policy
    (a request whose status now pauses, runs or stops its clocks). Returns how many changed;
    a breach that a longer target lifts is handed to the crossing handler.

    Runs in a task after a configuration change. Batches of rows locked in pk order; rows a
    request service holds at the same moment are skipped, since that service applies the
    current configuration itself.
    """
    calendar = default_calendar()
    actions = selectors.status_clock_actions()
    targets = selectors.slo_targets_all()
    subjects_for = subject_provider()
    record_nearest = import_string(settings.SLO_NEAREST_RECORDER)
    handler = crossing_handler()
    changed = 0
    last_pk = 0
    lock: dict[str, Any] = {}
    if connection.features.has_select_for_update_skip_locked:
        lock = {"skip_locked": True}
        if connection.features.has_select_for_update_of:
            lock["of"] = ("self",)
    while True:
        with transaction.atomic():
            batch = list(
                SloClock.objects.select_for_update(**lock)
                .filter(state__in=engine.OPEN_STATES, pk__gt=last_pk)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            last_pk = batch[-1].pk
            subjects = subjects_for({row.request_id for row in batch})
            moved: set[int] = set()
            for row in batch:
                subject = subjects.get(row.request_id)
                if subject is None:
                    continue
                lifted = _clock_bring_up_to_date(
                    row, target=targets.get((subject.priority_id, row.kind)),
                    action=actions.get(subject.status, engine.RUN), at=at,
                    calendar=calendar, reschedule=True,
                )
                if lifted is None:
                    continue
                changed += 1
                moved.add(row.request_id)
                if lifted:
                    handler(request_id=row.request_id, clock=row.kind, crossing="lifted", at=at)
            if moved:
                record_nearest(clocks_nearest(moved))
    return changed


def recompute_schedule() -> None:
    """Recompute the open clocks after the current transaction commits (once per
    transaction, however many configuration rows it changes)."""
    # Django keeps (savepoint ids, callback, robust) triples; the stubs still say pairs.
    if any(callback is _recompute_enqueue for _, callback, _ in connection.run_on_commit):  # type: ignore[misc]
        return
    transaction.on_commit(_recompute_enqueue)


def _recompute_enqueue() -> None:
    from slo.tasks import recompute_clocks_task

    # The configuration change is committed; a broker that is down must not turn the admin's
    # save into an error. The next change, or `manage.py shell` running the task, recomputes.
    try:
        recompute_clocks_task.delay()
    except Exception:  # noqa: BLE001 - any broker failure
        logger.exception("SLO recompute not queued: broker unavailable")
