"""What ``/healthz`` tells of the e-mails: whether beat still sweeps the outbox, and how long
the oldest unsent e-mail has waited. Both read from the database only, so that they answer
while Redis is down (the case where they matter)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from requests_app.models import OutboundMessage, WorkerHeartbeat

OUTBOX_SWEEP = "outbox-sweep"

State = OutboundMessage.State


def heartbeat_record(*, name: str, now: datetime | None = None) -> None:
    """The periodic job ``name`` ran now."""
    WorkerHeartbeat.objects.update_or_create(name=name,
                                             defaults={"beat_at": now or timezone.now()})


def _age(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(int((now - since).total_seconds()), 0)


def outbox_health(*, now: datetime | None = None) -> dict[str, Any]:
    """``outbox``: "ok", or "stale" when beat has not swept for
    ``OUTBOX_SWEEP_STALE_SECONDS`` (or never did) or the oldest unsent e-mail (to send or being
    sent; not those failed for good) is older than ``OUTBOX_UNSENT_STALE_SECONDS``; with both
    ages in seconds (None: no sweep yet, nothing unsent) and the thresholds."""
    now = now or timezone.now()
    swept_at = (WorkerHeartbeat.objects.filter(name=OUTBOX_SWEEP)
                .values_list("beat_at", flat=True).first())
    oldest = (OutboundMessage.objects.filter(state__in=[State.PENDING, State.SENDING])
              .order_by("created_at").values_list("created_at", flat=True).first())
    sweep_age, unsent_age = _age(swept_at, now), _age(oldest, now)
    sweep_limit = int(settings.OUTBOX_SWEEP_STALE_SECONDS)
    unsent_limit = int(settings.OUTBOX_UNSENT_STALE_SECONDS)
    stale = ((sweep_age is None or sweep_age > sweep_limit)
             or (unsent_age is not None and unsent_age > unsent_limit))
    return {
        "outbox": "stale" if stale else "ok",
        "outbox_sweep_age_seconds": sweep_age,
        "outbox_sweep_stale_after_seconds": sweep_limit,
        "oldest_unsent_age_seconds": unsent_age,
        "oldest_unsent_stale_after_seconds": unsent_limit,
    }
