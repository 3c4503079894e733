"""What the SLO app is handed by the app whose requests it times. ``slo`` reads none of that
app's tables, event kinds, payloads or status strings: the request app builds these values
(``requests_app.slo_inputs``) and passes them in.

A status is an opaque code here: the status clock policy (data) says what each code does to
the clocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StatusChange:
    at: datetime
    status: str  # the status entered at ``at``


@dataclass(frozen=True, slots=True)
class SloHistory:
    """The past of a request, for clocks built after the fact (its type became subject to the
    SLO): the status it was created in, each status it entered since (oldest first), and
    when it got its first response (``None``: not yet)."""

    initial_status: str
    status_changes: tuple[StatusChange, ...]
    first_response_at: datetime | None


def _no_history() -> SloHistory:
    raise LookupError("this subject carries no history")


@dataclass(frozen=True, slots=True)
class SloSubject:
    """A request as its clocks need it, at the instant of a change."""

    request_id: int
    subject_to_slo: bool
    priority_id: int
    status: str
    created_at: datetime
    # Read only when clocks must be built for a request that already has a past (rare):
    # building the history costs queries the usual change does not need.
    history: Callable[[], SloHistory] = _no_history


@dataclass(frozen=True, slots=True)
class BreachLifted:
    """A change put a clock that had been recorded over its target back under its (new)
    target: the breach no longer holds, and the request's history says so."""

    request_id: int
    clock: str


@dataclass(frozen=True, slots=True)
class Nearest:
    """The nearest instants among a request's running clocks — when it is due and when it
    crosses its warning threshold — or ``None`` when no clock runs. The request app stores
    them on the request, so that queues sort and filter by them without reading the clocks."""

    due_at: datetime | None = None
    warn_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ClocksSynced:
    nearest: Nearest
    lifted: tuple[BreachLifted, ...] = ()
