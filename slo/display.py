"""What the pages show of the SLO clocks, derived at read time from ``due_at`` and the
calendar, so it is right without a worker.

The request app's views and templates use exactly this interface:

* ``clock_views_for(request_ids, at=now)`` -> ``{request_id: [ClockView, ...]}`` in one query
  (requests without SLO are simply absent); ``nearest_clock_views_for`` -> ``{request_id:
  ClockView}``, only the clock a queue shows (``engine.nearest``);
* ``customer_status(views)`` -> ``"on_time"`` / ``"late"`` / ``None`` (clients see only
  "dans les délais" / "en retard" while the resolution clock runs, never the targets);
* the nearest due and warning instants of a request's running clocks are not derived here:
  the clock services return them and the request app stores them on the request.

Templates: ``partials/slo_clocks.html`` (agent: ``clocks``), ``partials/slo_customer.html``
(client: ``clocks``); a queue's cell is built in Python (``agent_queue.slo_cell``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db.models import CharField, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.compiled_query import IdListQuery
from slo import engine
from slo.calendar import default_calendar_at_revision
from slo.models import BusinessCalendar, ClockKind, ClockState, SloClock

ON_TIME = "on_time"
LATE = "late"



def duration_text(seconds: int) -> str:
    """Business time as agents read it: "45 min", "3 h 20", "1 h 05", "4 h", "< 1 min"."""
    seconds = max(int(seconds), 0)
    if seconds == 0:
        return _("0 min")
    if seconds < 60:
        return _("< 1 min")
    hours, minutes = divmod(seconds // 60, 60)
    if not hours:
        return _("%(minutes)d min") % {"minutes": minutes}
    if not minutes:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": minutes}


def overdue_text(seconds: int) -> str:
    """Overdue time rounded *up* to the minute: 30 s late reads "1 min", never "0 min"."""
    return duration_text(-(-max(int(seconds), 1) // 60) * 60)


@dataclass(frozen=True)
class ClockView:
    kind: str  # "first_response" | "resolution"
    label: str  # "Première réponse" | "Résolution"
    state: str  # "running" | "paused" | "met" | "breached"
    state_label: str  # "en cours" | "en pause" | "respecté" | "dépassé"
    elapsed_seconds: int
    target_seconds: int
    due_at: datetime | None
    warning_seconds: int = 0
    warn_at: datetime | None = None
    stopped_at: datetime | None = None
    is_running: bool = False  # counting now (a running clock past its target included)
    is_over: bool = False  # beyond its target: breached, or running/paused past it

    @property
    def remaining_seconds(self) -> int:
        return self.target_seconds - self.elapsed_seconds

    @property
    def overdue_seconds(self) -> int:
        return max(self.elapsed_seconds - self.target_seconds, 0)

    @property
    def share_used(self) -> float:
        return self.elapsed_seconds / self.target_seconds if self.target_seconds else 0.0

    @property
    def share_used_percent(self) -> int:
        """Share of the target used, in whole percent (above 100 once over the target)."""
        return int(self.share_used * 100)

    @property
    def bar_percent(self) -> int:
        """``share_used_percent`` clamped to 0..100, for a ``<progress>`` bar."""
        return min(max(self.share_used_percent, 0), 100)

    @property
    def is_warning(self) -> bool:
        """Past the warning threshold and not (yet) over the target."""
        return not self.is_over and self.elapsed_seconds >= self.warning_seconds

    @property
    def is_paused(self) -> bool:
        return self.state == ClockState.PAUSED

    @property
    def is_stopped(self) -> bool:
        return self.state in (ClockState.MET, ClockState.BREACHED) and not self.is_running

    @property
    def remaining_text(self) -> str:
        """ "3 h 20 ouvrées" left, or "dépassé de 1 h 05" (rounded to the minute)."""
        if self.is_over:
            return _("dépassé de %(duration)s") % {"duration": overdue_text(self.overdue_seconds)}
        return _("%(duration)s ouvrées") % {"duration": duration_text(self.remaining_seconds)}

    @property
    def elapsed_text(self) -> str:
        return duration_text(self.elapsed_seconds)

    @property
    def target_text(self) -> str:
        return duration_text(self.target_seconds)

    @property
    def badge_class(self) -> str:
        """The ``slo-*`` class of static/css/spt.css for this clock's state."""
        if self.state == ClockState.MET:
            return "slo-met"
        if self.is_over:
            return "slo-late"
        if self.is_paused:
            return "slo-paused"
        return "slo-warning" if self.is_warning else "slo-ok"


_STATE_LABELS = dict(ClockState.choices)
_KIND_LABELS = dict(ClockKind.choices)


def clock_label(kind: str) -> str:
    """ "Première réponse" / "Résolution" for a clock code (history lines, e-mails)."""
    return str(_KIND_LABELS.get(kind, kind))


@lru_cache(maxsize=8)
def _labels_in(language: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The kinds' and states' labels in a language, translated once (a queue page shows a
    hundred clocks; the catalogues do not change while the process runs)."""
    return ({kind: str(label) for kind, label in _KIND_LABELS.items()},
            {state: str(label) for state, label in _STATE_LABELS.items()})


_CLOCK_FIELDS = (
    "kind", "state", "target_seconds", "warning_seconds", "started_at", "consumed_seconds",
    "resumed_at", "due_at", "warn_at", "stopped_at",
)


def _view(clock: engine.Clock, *, at: datetime, calendar,
          labels: tuple[dict[str, str], dict[str, str]]) -> ClockView:
    reading = engine.clock_read(clock, at=at, calendar=calendar)
    running = clock.state == engine.RUNNING
    state = engine.BREACHED if running and reading.over else clock.state
    kinds, states = labels
    return ClockView(
        kind=clock.kind,
        label=kinds.get(clock.kind, clock.kind),
        state=state,
        state_label=states[state],
        elapsed_seconds=reading.elapsed_seconds,
        target_seconds=clock.target_seconds,
        due_at=clock.due_at,
        warning_seconds=clock.warning_seconds,
        warn_at=clock.warn_at,
        stopped_at=clock.stopped_at,
        is_running=running,
        is_over=reading.over,
    )


def _clock_rows_query(ids: Sequence[int]) -> QuerySet:
    default_revision = BusinessCalendar.objects.filter(is_default=True).values("revision")[:1]
    return (
        SloClock.objects.filter(request_id__in=ids)
        .annotate(calendar_revision=Cast(Subquery(default_revision), CharField()))
        .order_by("request_id", "kind")
        .values_list("request_id", "calendar_revision", *_CLOCK_FIELDS)
    )


# Compiled once per number of requests: a queue page read its 150 clocks in less time
# than Django took to build their query.
_CLOCK_ROWS = IdListQuery(_clock_rows_query)


def _clocks_of(request_ids: Iterable[int]) -> tuple[dict[int, list[engine.Clock]], Any]:
    """{request id: its clocks by kind} in ONE query, and the calendar to read the running
    ones with (the default calendar's revision comes with the rows as a subquery, so the
    cached calendar is reused without asking again; as text: a UUID parsed per row cost
    more than the rest of the row)."""
    ids = list(request_ids)
    if not ids:
        return {}, None
    rows = _CLOCK_ROWS.rows(ids)
    clocks: dict[int, list[engine.Clock]] = {}
    revisions: set[str | None] = set()  # the same on every row
    for request_id, revision_text, *fields in rows:
        clock = engine.Clock(*fields)
        if clock.state == engine.RUNNING:
            revisions.add(revision_text)
        clocks.setdefault(request_id, []).append(clock)
    if not revisions:
        return clocks, None  # paused and stopped clocks are read without a calendar
    revision = revisions.pop()
    return clocks, default_calendar_at_revision(uuid.UUID(revision) if revision else None)


def clock_views_for(request_ids: Iterable[int], *, at: datetime) -> dict[int, list[ClockView]]:
    """The clocks of these requests as pages show them at ``at``: ONE query, whatever the
    number of requests."""
    clocks, calendar = _clocks_of(request_ids)
    labels = _labels_in(get_language())
    return {request_id: [_view(clock, at=at, calendar=calendar, labels=labels)
                         for clock in its_clocks]
            for request_id, its_clocks in clocks.items()}


def nearest_clock_views_for(request_ids: Iterable[int], *, at: datetime
                            ) -> dict[int, ClockView]:
    """{request id: the clock its queue cell shows} (``engine.nearest``): one query, and
    only that clock read."""
    clocks, calendar = _clocks_of(request_ids)
    labels = _labels_in(get_language())
    views = {}
    for request_id, its_clocks in clocks.items():
        clock = engine.nearest(its_clocks)
        if clock is not None:
            views[request_id] = _view(clock, at=at, calendar=calendar, labels=labels)
    return views


def customer_status(views: list[ClockView]) -> str | None:
    """What a client is told of the SLO: only while the vendor is working towards the
    resolution (its clock runs — not once closed, nor while the request waits for the
    client), and only of the deadline that runs now: "late" when a running clock is beyond
    its target, "on_time" otherwise. A first response once late but now given does not make
    the request late. ``None``: nothing to show (no SLO, paused, stopped)."""
    resolution = next((view for view in views if view.kind == engine.RESOLUTION), None)
    if resolution is None or not resolution.is_running:
        return None
    return LATE if any(view.is_running and view.is_over for view in views) else ON_TIME


