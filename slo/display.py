"""What the pages show of the SLO clocks, derived at read time from ``due_at`` and the
calendar, so it is right without a worker.

The request app's views and templates use exactly this interface:

* ``clock_views_for(request_ids, at=now)`` -> ``{request_id: [ClockView, ...]}`` in one query
  (requests without SLO are simply absent);
* ``customer_status(views)`` -> ``"on_time"`` / ``"late"`` / ``None`` (clients see only
  "dans les délais" / "en retard", never the targets);
* ``annotate_slo(queryset, at=now)`` adds ``slo_due_at`` and ``slo_warn_at`` (the nearest of
  the request's running clocks, NULL when none runs) to a queryset of requests, for sorting
  queues by the nearest due time and for the "SLO à risque ou dépassé" queue.

Templates: ``partials/slo_clocks.html`` (agent: ``clocks``), ``partials/slo_customer.html``
(client: ``clocks``), ``partials/slo_cell.html`` (a queue cell: ``clocks``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import DateTimeField, QuerySet, Value


@dataclass(frozen=True)
class ClockView:
    kind: str  # "first_response" | "resolution"
    label: str  # "Première réponse" | "Résolution"
    state: str  # "running" | "paused" | "met" | "breached"
    state_label: str  # "en cours" | "en pause" | "respecté" | "dépassé"
    elapsed_seconds: int
    target_seconds: int
    due_at: datetime | None

    @property
    def remaining_seconds(self) -> int:
        return self.target_seconds - self.elapsed_seconds

    @property
    def share_used(self) -> float:
        return self.elapsed_seconds / self.target_seconds if self.target_seconds else 0.0


def clock_views_for(request_ids: Iterable[int], *, at: datetime) -> dict[int, list[ClockView]]:
    return {}


def customer_status(views: list[ClockView]) -> str | None:
    return None


def annotate_slo(queryset: QuerySet, *, at: datetime) -> QuerySet:
    return queryset.annotate(
        slo_due_at=Value(None, output_field=DateTimeField()),
        slo_warn_at=Value(None, output_field=DateTimeField()),
    )
