"""Every change to a request writes one ``RequestEvent`` (the history, seed element 6); this
module is the only writer. Each kind of event has its own small writer, which owns the
payload's shape: the history template, the notifications and the SLO replay read these keys.

Writing an event sends nothing: the service that wrote it calls ``notifications.notify``
right after, where a reader of the service sees who hears of it. The webhooks' deliveries are
recorded here, in the event's transaction, and posted after commit (``webhooks.services``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from requests_app import notifications
from requests_app.models import Attachment, Comment, EventKind, Request, RequestEvent
from requests_app.people import person_name
from requests_app.selectors.reference import detail_text
from requests_app.workflow import ConfirmationState, action_label
from webhooks.services import webhook_deliveries_record


def _write(
    *,
    request: Request,
    actor: User | None,
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
    if kind not in _NOT_FOR_WEBHOOKS:
        # No query when no endpoint wants it (webhooks.selectors).
        webhook_deliveries_record(event_id=event.pk, kind=kind, is_internal=is_internal,
                                  payload=lambda: webhook_payload(event))
    return event


def request_created(
    *, request: Request, actor: User, at: datetime,
    on_behalf_of: User | None = None, follows_up: Request | None = None,
) -> RequestEvent:
    payload: dict[str, Any] = {"type": request.request_type.name}
    if on_behalf_of is not None:
        payload["on_behalf_of"] = person_name(on_behalf_of)
    if follows_up is not None:
        payload["follows_up"] = follows_up.key
    return _write(request=request, actor=actor, kind=EventKind.CREATED, at=at,
                  to_status=request.status, payload=payload)


def status_changed(
    *, request: Request, actor: User, at: datetime, transition: str,
    from_status: str, comment: Comment | None = None, rnd_reference: str = "",
    automatic: bool = False,
) -> RequestEvent:
    """A workflow action (``transition``: its registry name) moved the request; a closing
    one records the resolution. ``automatic``: the portal fired it in the actor's name
    (``services.automation``), which the history says."""
    payload: dict[str, Any] = {"transition": transition, "label": action_label(transition)}
    if rnd_reference:
        payload["rnd_reference"] = rnd_reference
    if automatic:
        payload["automatic"] = True
    if request.resolution and request.is_closed:
        payload["resolution"] = request.get_resolution_display()
    return _write(request=request, actor=actor, kind=EventKind.STATUS_CHANGED, at=at,
                  from_status=from_status, to_status=request.status, comment=comment,
                  payload=payload)


def commented(
    *, request: Request, actor: User, comment: Comment, by_back_office: bool,
) -> RequestEvent:
    """A public comment or an internal note; ``by_back_office`` says whether the vendor's
    staff wrote it (who is told, and whether it is a first response)."""
    return _write(
        request=request, actor=actor,
        kind=EventKind.INTERNAL_NOTE if comment.is_internal else EventKind.COMMENTED,
        at=comment.created_at, is_internal=comment.is_internal, comment=comment,
        payload={"by_back_office": by_back_office},
    )


def field_changed(
    *, request: Request, actor: User, at: datetime, field: str, label: str,
    old_value: Any, new_value: Any,
) -> RequestEvent:
    """A detail changed. The stored values (a reference row's key, an environment's code)
    let the history name them in each reader's language; the texts, in the actor's, stay
    for a row deleted since."""
    return _write(request=request, actor=actor, kind=EventKind.FIELD_CHANGED, at=at, payload={
        "field": field, "label": label,
        "old": detail_text(field, old_value), "new": detail_text(field, new_value),
        "old_value": old_value, "new_value": new_value,
    })


def assigned(
    *, request: Request, actor: User, at: datetime,
    previous: User | None, assignee: User,
) -> RequestEvent:
    return _write(request=request, actor=actor, kind=EventKind.ASSIGNED, at=at, payload={
        "old": person_name(previous), "new": person_name(assignee), "assignee_id": assignee.pk,
    })


def attachment_added(
    *, request: Request, actor: User, attachment: Attachment,
    comment: Comment | None,
) -> RequestEvent:
    return _write(
        request=request, actor=actor, kind=EventKind.ATTACHMENT_ADDED,
        at=attachment.created_at, is_internal=attachment.is_internal, comment=comment,
        payload={"name": attachment.original_name, "size": attachment.size,
                 "token": attachment.token},
    )


def participant_changed(
    *, request: Request, actor: User, at: datetime, user: User,
    added: bool,
) -> RequestEvent:
    return _write(
        request=request, actor=actor, at=at,
        kind=EventKind.PARTICIPANT_ADDED if added else EventKind.PARTICIPANT_REMOVED,
        payload={"user": person_name(user), "user_id": user.pk},
    )


def mute_changed(
    *, request: Request, actor: User, at: datetime, muted: bool,
) -> RequestEvent:
    """Shown only to the person concerned (their mailbox is nobody else's business)."""
    return _write(request=request, actor=actor, at=at,
                  kind=EventKind.MUTED if muted else EventKind.UNMUTED,
                  payload={"personal": True})


def confirmation_requested(
    *, request: Request, actor: User, at: datetime, comment: Comment | None,
) -> RequestEvent:
    return _write(request=request, actor=actor, kind=EventKind.CONFIRMATION_REQUESTED,
                  at=at, comment=comment)


def resolution_answered(
    *, request: Request, actor: User, at: datetime, confirmed: bool,
    comment: Comment | None,
) -> RequestEvent:
    # Who had the request when the client confirmed: the agent a satisfaction given later
    # is counted for.
    payload = {"assignee_id": request.assignee_id} if confirmed else {}
    return _write(request=request, actor=actor, at=at, comment=comment, payload=payload,
                  kind=EventKind.CONFIRMED if confirmed else EventKind.DENIED)


def satisfaction_rated(
    *, request: Request, actor: User, at: datetime, rating: int, previous: int | None,
) -> RequestEvent:
    """The client gave their satisfaction (``previous``: the rating it replaces, if any)."""
    payload: dict[str, Any] = {"rating": rating}
    if previous is not None:
        payload["previous"] = previous
    return _write(request=request, actor=actor, at=at, kind=EventKind.SATISFACTION_RATED,
                  payload=payload)


def customer_reminded(
    *, request: Request, at: datetime, comment: Comment | None, business_days: int,
) -> RequestEvent:
    """The portal reminded the customer that their answer is awaited (no actor: nobody did
    it). ``comment``: the question or proposed resolution awaiting the answer. The payload
    keeps the wait it belongs to and what the e-mail says, so that a resend says the same."""
    since = request.awaiting_customer_since
    due = request.customer_reply_due_at
    return _write(request=request, actor=None, kind=EventKind.CUSTOMER_REMINDED, at=at,
                  comment=comment, payload={
                      "business_days": business_days,
                      "since": since.isoformat() if since else "",
                      "reply_due_at": due.isoformat() if due else "",
                      "confirmation": request.confirmation_state == ConfirmationState.REQUESTED,
                  })


_SLO_KINDS = {
    "warning": EventKind.SLO_WARNING,
    "breach": EventKind.SLO_BREACHED,
    "lifted": EventKind.SLO_BREACH_LIFTED,
}


def slo_crossing(*, request: Request, clock: str, crossing: str, at: datetime) -> RequestEvent:
    """An internal line: a clock crossed its warning threshold or its target, or a change put
    it back under its target (``crossing``: "warning", "breach", "lifted")."""
    return _write(request=request, actor=None, kind=_SLO_KINDS[crossing], at=at,
                  is_internal=True, payload={"clock": clock})


def slo_crossing_record(*, request_id: int, clock: str, crossing: str, at: datetime) -> None:
    """The SLO app's handler (settings.SLO_CROSSING_HANDLER): a crossing found by the sweep
    or the recomputation, written and notified (the assignee and Daily) in its own
    transaction."""
    with transaction.atomic():
        request = Request.objects.get(pk=request_id)
        notifications.notify(slo_crossing(request=request, clock=clock, crossing=crossing,
                                           at=at))


# --- webhooks --------------------------------------------------------------------------------

# A person's mailbox is nobody else's business: muting never leaves the portal.
_NOT_FOR_WEBHOOKS = frozenset({EventKind.MUTED, EventKind.UNMUTED})
# What the history keeps for itself: an attachment's download token is a credential.
_NOT_IN_WEBHOOK_DETAILS = frozenset({"token", "personal"})


def webhook_event_kinds() -> list[tuple[str, str]]:
    """The kinds an endpoint may subscribe to (settings.WEBHOOK_EVENT_KINDS_PROVIDER)."""
    return [(value, str(label)) for value, label in EventKind.choices
            if value not in _NOT_FOR_WEBHOOKS]


def webhook_payload(event: RequestEvent) -> dict[str, Any]:
    """The body of a webhook delivery of ``event``: the event (its id, kind, instant, actor,
    statuses, whether internal, and its details as the history keeps them), the request (key,
    number, title, current status, organisation) and the comment it carries. The text of an
    internal comment never leaves: the receiver reads it through the API if allowed to."""
    request, comment = event.request, event.comment
    return {
        "event": {
            "id": event.pk, "kind": event.kind, "at": event.created_at.isoformat(),
            "actor_id": event.actor_id, "is_internal": event.is_internal,
            "from_status": event.from_status, "to_status": event.to_status,
            "details": {key: value for key, value in event.payload.items()
                        if key not in _NOT_IN_WEBHOOK_DETAILS},
        },
        "request": {
            "key": request.key, "number": request.number, "title": request.title,
            "status": request.status, "organisation_id": request.organisation_id,
        },
        "comment": None if comment is None else {
            "id": comment.pk, "is_internal": comment.is_internal,
            "body": None if comment.is_internal else comment.body,
        },
    }
