"""Every change to a request writes one ``RequestEvent``; this module is the only writer.

Each recorded event is handed to ``notifications.queue_for_event`` in the same transaction, so
that who hears about what is decided in one place and sent only after commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from requests_app import notifications
from requests_app.models import Comment, EventKind, Request, RequestEvent


def event_record(
    *,
    request: Request,
    actor: AbstractBaseUser | None,
    kind: str,
    at: datetime | None = None,
    from_status: str = "",
    to_status: str = "",
    is_internal: bool = False,
    comment: Comment | None = None,
    payload: dict[str, Any] | None = None,
) -> RequestEvent:
    event = RequestEvent.objects.create(
        request=request,
        actor=actor,
        kind=kind,
        created_at=at or timezone.now(),
        from_status=from_status,
        to_status=to_status,
        is_internal=is_internal,
        comment=comment,
        payload=payload or {},
    )
    notifications.queue_for_event(event)
    return event


def slo_crossing_record(*, request_id: int, clock: str, crossing: str, at: datetime) -> None:
    """The SLO sweep's handler (settings.SLO_CROSSING_HANDLER): a warning or a breach of one
    clock, recorded as an internal history line that notifies the assignee and Daily."""
    kind = EventKind.SLO_BREACHED if crossing == "breach" else EventKind.SLO_WARNING
    with transaction.atomic():
        request = Request.objects.get(pk=request_id)
        event_record(
            request=request, actor=None, kind=kind, at=at, is_internal=True,
            payload={"clock": clock},
        )
