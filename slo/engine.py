"""The SLO clocks' rules as pure functions: no ORM, no clock, no settings.

A clock is a small immutable value (:class:`Clock`); every function takes the instant ``at``
and the :class:`~slo.calendar.WorkingCalendar` explicitly and returns a new value, so the rules
are tested with plain datetimes (``tests/slo/test_engine.py``) and ``slo.services`` only loads
and stores rows.

The model (DESIGN §5):

* A clock counts **business** seconds. It keeps what it consumed up to its last resume
  (``consumed_seconds``) and the instant of that resume (``resumed_at``); while it runs, its
  elapsed time at ``at`` is ``consumed + business_seconds_between(resumed_at, at)``. Nothing
  has to tick: every figure is derived at read time.
* A running clock also stores two absolute instants, recomputed on every pause, resume,
  target or calendar change: ``warn_at``, when the elapsed time reaches the warning threshold,
  and ``due_at``, after which the clock is over its target (breached). ``due_at`` is the next
  *working* instant once the target is used up: a target that runs out on Friday at 17:30 is
  not exceeded before Monday's opening, so the sweep, the queues and the pages all agree that
  the request is late from Monday 08:00 on, and "0 min" remain over the weekend.
* Pausing folds the running time into ``consumed_seconds``; stopping does too and decides for
  good: **met** when the elapsed time is at most the target, **breached** otherwise. A stopped
  clock never changes again.
* A new target (priority change, administrator edit) keeps the elapsed time: the running
  segment is folded at the instant of the change, then the instants are recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from slo.calendar import WorkingCalendar

RUNNING = "running"
PAUSED = "paused"
MET = "met"
BREACHED = "breached"
OPEN_STATES = (RUNNING, PAUSED)
STOPPED_STATES = (MET, BREACHED)

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
CLOCK_KINDS = (FIRST_RESPONSE, RESOLUTION)

# The status policy's actions (slo.models.ClockAction).
RUN = "run"
PAUSE = "pause"
STOP = "stop"


@dataclass(frozen=True, slots=True)
class Target:
    """A clock's goal in business seconds and its warning threshold (75 % by default)."""

    seconds: int
    warning_seconds: int


@dataclass(frozen=True, slots=True)
class Clock:
    kind: str
    state: str
    target_seconds: int
    warning_seconds: int
    started_at: datetime
    consumed_seconds: int = 0
    """Business seconds counted before ``resumed_at`` (running), or in total (otherwise)."""
    resumed_at: datetime | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def is_running(self) -> bool:
        return self.state == RUNNING

    @property
    def is_stopped(self) -> bool:
        return self.state in STOPPED_STATES


def elapsed_seconds(clock: Clock, *, at: datetime, calendar: WorkingCalendar) -> int:
    """Business seconds the clock has consumed at ``at``."""
    if clock.state != RUNNING or clock.resumed_at is None:
        return clock.consumed_seconds
    return clock.consumed_seconds + calendar.business_seconds_between(clock.resumed_at, at)


def _reach(calendar: WorkingCalendar, resumed_at: datetime, consumed: int, threshold: int):
    """The instant at which a clock resumed at ``resumed_at`` with ``consumed`` seconds reaches
    ``threshold``; ``resumed_at`` itself when it had already reached it."""
    if threshold <= consumed:
        return resumed_at
    return calendar.add_business_seconds(resumed_at, threshold - consumed)


def _schedule(clock: Clock, calendar: WorkingCalendar) -> Clock:
    """``warn_at`` and ``due_at`` of a running clock, from its resume instant and consumption."""
    assert clock.resumed_at is not None
    consumed = clock.consumed_seconds
    warn_at = _reach(calendar, clock.resumed_at, consumed, clock.warning_seconds)
    if consumed > clock.target_seconds:
        due_at = clock.resumed_at  # already over the target when it (re)started
    else:
        # Over the target only once working time passes beyond the instant it is used up.
        due_at = calendar.next_working_instant(
            _reach(calendar, clock.resumed_at, consumed, clock.target_seconds)
        )
    return replace(clock, warn_at=warn_at, due_at=due_at)


def clock_start(
    *, kind: str, target: Target, at: datetime, calendar: WorkingCalendar, running: bool = True
) -> Clock:
    """A new clock that starts counting at ``at`` (or starts paused)."""
    clock = Clock(
        kind=kind,
        state=RUNNING,
        target_seconds=target.seconds,
        warning_seconds=target.warning_seconds,
        started_at=at,
        resumed_at=at,
    )
    clock = _schedule(clock, calendar)
    return clock if running else clock_pause(clock, at=at, calendar=calendar)


def clock_pause(clock: Clock, *, at: datetime, calendar: WorkingCalendar) -> Clock:
    if clock.state != RUNNING:
        return clock
    return replace(
        clock,
        state=PAUSED,
        consumed_seconds=elapsed_seconds(clock, at=at, calendar=calendar),
        resumed_at=None,
        due_at=None,
        warn_at=None,
    )


def clock_resume(clock: Clock, *, at: datetime, calendar: WorkingCalendar) -> Clock:
    if clock.state != PAUSED:
        return clock
    return _schedule(replace(clock, state=RUNNING, resumed_at=at), calendar)


def clock_stop(clock: Clock, *, at: datetime, calendar: WorkingCalendar) -> Clock:
    """Stop for good; met when the elapsed time is at most the target."""
    if clock.is_stopped:
        return clock
    elapsed = elapsed_seconds(clock, at=at, calendar=calendar)
    return replace(
        clock,
        state=MET if elapsed <= clock.target_seconds else BREACHED,
        consumed_seconds=elapsed,
        resumed_at=None,
        due_at=None,
        warn_at=None,
        stopped_at=at,
    )


def clock_apply(clock: Clock, action: str, *, at: datetime, calendar: WorkingCalendar) -> Clock:
    """What the status policy says for the request's current status: run, pause or stop."""
    if action == STOP:
        return clock_stop(clock, at=at, calendar=calendar)
    if action == PAUSE:
        return clock_pause(clock, at=at, calendar=calendar)
    return clock_resume(clock, at=at, calendar=calendar)


def clock_retarget(
    clock: Clock, target: Target, *, at: datetime, calendar: WorkingCalendar
) -> Clock:
    """Take a new target, keeping the elapsed time. A stopped clock keeps the verdict it got."""
    if clock.is_stopped or (
        clock.target_seconds == target.seconds and clock.warning_seconds == target.warning_seconds
    ):
        return clock
    clock = replace(clock, target_seconds=target.seconds, warning_seconds=target.warning_seconds)
    if clock.state != RUNNING:
        return clock
    # Fold the running segment at the change: the instants then say when the *new* threshold
    # was (or will be) crossed, never earlier than the change itself.
    folded = replace(
        clock, consumed_seconds=elapsed_seconds(clock, at=at, calendar=calendar), resumed_at=at
    )
    return _schedule(folded, calendar)


def clock_reschedule(clock: Clock, *, calendar: WorkingCalendar) -> Clock:
    """Recompute the instants of a running clock for a changed calendar (closure day, hours):
    the running segment is counted again in the new calendar, earlier segments are kept."""
    if clock.state != RUNNING:
        return clock
    return _schedule(clock, calendar)


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True, slots=True)
class Reading:
    """What a clock shows at an instant (pages derive everything from this)."""

    state: str  # running | paused | met | breached (stopped)
    elapsed_seconds: int
    target_seconds: int
    warning_seconds: int
    over: bool  # beyond the target (a running clock past due_at, or a paused/stopped one over)
    remaining_seconds: int  # business seconds left, 0 when over
    overdue_seconds: int  # business seconds beyond the target, 0 when not over


def _over(clock: Clock, elapsed: int, at: datetime) -> bool:
    if elapsed > clock.target_seconds:
        return True  # a clock resumed over its target is over from that instant on
    return clock.state == RUNNING and clock.due_at is not None and at > clock.due_at


def clock_is_over(clock: Clock, *, at: datetime, calendar: WorkingCalendar) -> bool:
    """Beyond the target at ``at``: a running clock past ``due_at``, or any clock that has
    consumed more than its target."""
    return _over(clock, elapsed_seconds(clock, at=at, calendar=calendar), at)


def clock_read(clock: Clock, *, at: datetime, calendar: WorkingCalendar) -> Reading:
    elapsed = elapsed_seconds(clock, at=at, calendar=calendar)
    over = _over(clock, elapsed, at)
    remaining = max(clock.target_seconds - elapsed, 0)
    overdue = max(elapsed - clock.target_seconds, 0)
    return Reading(
        state=clock.state,
        elapsed_seconds=elapsed,
        target_seconds=clock.target_seconds,
        warning_seconds=clock.warning_seconds,
        over=over,
        remaining_seconds=0 if over else remaining,
        overdue_seconds=overdue if over else 0,
    )


def nearest(clocks: Iterable[Clock]) -> Clock | None:
    """The clock that matters most now, the one a queue shows: the running one due first,
    else the paused one most used, else the last to stop (the verdict), else the first.
    Decided on what is stored alone (a paused clock's use is its consumption): a queue reads
    only the clock it shows."""
    clocks = list(clocks)
    running = [clock for clock in clocks if clock.state == RUNNING and clock.due_at is not None]
    if running:
        return min(running, key=lambda clock: clock.due_at)  # type: ignore[arg-type,return-value]
    paused = [clock for clock in clocks if clock.state == PAUSED]
    if paused:
        return max(paused, key=lambda clock: (
            clock.consumed_seconds / clock.target_seconds if clock.target_seconds else 0.0))
    stopped = [clock for clock in clocks if clock.stopped_at is not None]
    if stopped:
        return max(stopped, key=lambda clock: (clock.stopped_at, clock.kind))
    return clocks[0] if clocks else None


# ------------------------------------------------------------------------------ replay


def clocks_replay(
    *,
    created_at: datetime,
    status_changes: Iterable[tuple[datetime, str]],
    first_response_at: datetime | None,
    actions: Mapping[str, str],
    targets: Mapping[str, Target],
    at: datetime,
    calendar: WorkingCalendar,
    initial_status: str,
) -> dict[str, Clock]:
    """The clocks a request would have at ``at`` had it always been subject to the SLO.

    Used when clocks must be built for a request that already has a history (its type became
    Support): the status changes ``(instant, new status)`` are replayed in order with the
    status policy ``actions`` (missing statuses run), and the Première réponse clock stops at
    ``first_response_at``. Kinds without a target get no clock. At creation the history is
    empty and this is simply "both clocks start at ``created_at``".
    """
    clocks: dict[str, Clock] = {}
    for kind in CLOCK_KINDS:
        if kind not in targets:
            continue
        action = actions.get(initial_status, RUN)
        clock = clock_start(
            kind=kind, target=targets[kind], at=created_at, calendar=calendar,
            running=action != PAUSE,
        )
        if action == STOP:
            clock = clock_stop(clock, at=created_at, calendar=calendar)
        clocks[kind] = clock
    events: list[tuple[datetime, int, str]] = [
        (when, 1, status) for when, status in status_changes if when <= at
    ]
    if first_response_at is not None and first_response_at <= at:
        # At equal instants the answer counts before the status change it came with.
        events.append((first_response_at, 0, ""))
    for when, order, status in sorted(events, key=lambda event: (event[0], event[1])):
        if order == 0:
            if FIRST_RESPONSE in clocks:
                clocks[FIRST_RESPONSE] = clock_stop(
                    clocks[FIRST_RESPONSE], at=when, calendar=calendar
                )
            continue
        action = actions.get(status, RUN)
        for kind, clock in clocks.items():
            clocks[kind] = clock_apply(clock, action, at=when, calendar=calendar)
    return clocks
