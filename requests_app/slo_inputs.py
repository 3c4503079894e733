"""What the request app hands the SLO app (``slo.subjects``): a request as its clocks need it,
its history when clocks must be built after the fact, and the one definition of "first
response" — used live, when the event is written, and in replay, over the stored history.

The SLO app reads none of our tables: every service that changes a request's status, priority
or type calls :func:`clocks_follow` in its transaction, with the row locked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from requests_app import events
from requests_app.models import EventKind, Request, RequestEvent
from requests_app.workflow import RequestStatus
from slo import rollups
from slo import services as slo_services
from slo.subjects import Nearest, SloHistory, SloSubject, StatusChange


def event_is_first_response(event: RequestEvent) -> bool:
    """DESIGN §5, Première réponse: met at the first public comment of the vendor's staff
    (agents, sales administration, administrators) or the first move out of Ouvert,
    whichever comes first."""
    if event.from_status == RequestStatus.OPEN and event.to_status:
        return True
    return (
        event.kind == EventKind.COMMENTED
        and not event.is_internal
        and bool((event.payload or {}).get("by_back_office"))
    )


def slo_history(request: Request) -> SloHistory:
    """The request's status changes and first response, from its stored history (one
    query)."""
    lines = list(
        RequestEvent.objects.filter(request_id=request.pk)
        .order_by("created_at", "pk")
        .only("created_at", "kind", "from_status", "to_status", "is_internal", "payload")
    )
    initial = next((line.to_status for line in lines if line.kind == EventKind.CREATED),
                   RequestStatus.OPEN)
    return SloHistory(
        initial_status=initial or RequestStatus.OPEN,
        status_changes=tuple(
            StatusChange(at=line.created_at, status=line.to_status)
            for line in lines if line.from_status and line.to_status
        ),
        first_response_at=next(
            (line.created_at for line in lines if event_is_first_response(line)), None
        ),
    )


def slo_subject(request: Request) -> SloSubject:
    return SloSubject(
        request_id=request.pk,
        subject_to_slo=request.request_type.subject_to_slo,
        priority_id=request.priority_id,
        status=request.status,
        created_at=request.created_at,
        history=lambda: slo_history(request),
    )


def slo_subjects_for(request_ids: Iterable[int]) -> dict[int, SloSubject]:
    """``settings.SLO_SUBJECT_PROVIDER``: the subjects of the clocks the SLO app recomputes
    after a configuration change (one query)."""
    return {
        request.pk: slo_subject(request)
        for request in Request.objects.filter(pk__in=list(request_ids))
        .select_related("request_type")
    }


def _nearest_store(request: Request, nearest: Nearest) -> None:
    if (request.slo_due_at, request.slo_warn_at) == (nearest.due_at, nearest.warn_at):
        return
    request.slo_due_at, request.slo_warn_at = nearest.due_at, nearest.warn_at
    Request.objects.filter(pk=request.pk).update(slo_due_at=nearest.due_at,
                                                 slo_warn_at=nearest.warn_at)


def clocks_follow(request: Request, *, at: datetime) -> None:
    """After a change of status, priority or type: the clocks follow, the request keeps their
    nearest instants, and a breach the change lifted is written in the history."""
    synced = slo_services.clocks_sync(subject=slo_subject(request), at=at)
    _nearest_store(request, synced.nearest)
    for lifted in synced.lifted:
        events.slo_crossing(request=request, clock=lifted.clock, crossing="lifted", at=at)


def first_response_follow(request: Request, event: RequestEvent) -> None:
    """After an event: if it is the first response, the Première réponse clock stops."""
    if event_is_first_response(event):
        nearest = slo_services.first_response_record(subject=slo_subject(request),
                                                     at=event.created_at)
        if nearest is not None:
            _nearest_store(request, nearest)


def slo_nearest_record(nearest: dict[int, Nearest]) -> None:
    """``settings.SLO_NEAREST_RECORDER``: the nearest instants a recomputation moved."""
    for request_id, instants in nearest.items():
        Request.objects.filter(pk=request_id).update(slo_due_at=instants.due_at,
                                                     slo_warn_at=instants.warn_at)


def slo_report_regroup(request: Request) -> None:
    """The request's priority changed: the SLO report's figures of its clocks that already
    stopped move to the new priority's group (their months are refreshed)."""
    rollups.rollups_mark_request(request.pk)
