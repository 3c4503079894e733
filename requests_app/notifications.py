"""Who hears about which event (DESIGN §6): outbox rows written in the event's transaction.

``notify`` is called by the services right after they record an event. It decides the
recipients, renders each e-mail in the recipient's language and writes the rows; the send
tasks are published only after commit (``outbox.publish_on_commit``).

| Event                               | E-mail               | To                              |
|-------------------------------------|----------------------|---------------------------------|
| created                             | request_received     | reporter, participants, FrontDesk |
| status_changed (not to Fermé)       | status_changed       | reporter, participants          |
| status_changed to Fermé             | closed               | reporter, participants          |
| commented by the back office        | agent_comment        | reporter, participants          |
| commented by a client               | client_comment       | assignee                        |
| confirmation_requested              | confirmation_request | reporter (even muted), participants |
| confirmed / denied                  | confirmed / denied   | assignee                        |
| slo_warning / slo_breached          | slo_warning / …      | assignee, Daily                 |

Rules that hold for every row:

* the author of the action is never told about it;
* a person who muted the request gets nothing about it, except the reporter, who always gets
  the confirmation request (they must answer it);
* an internal event (``is_internal``) reaches back-office people only, and no e-mail ever
  carries the text of an internal comment: a status change whose only comment is internal
  (Escalader à un expert, Transmettre au R&D…) tells the client the new status, without it;
* "Proposer la résolution" records a status change and a confirmation request: the client
  gets the confirmation request only, which says both;
* people without an e-mail address, or inactive, are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from requests_app import outbox
from requests_app.models import (
    EventKind,
    NotificationKind,
    NotificationMute,
    OutboundMessage,
    Participant,
    Profile,
    RequestEvent,
)
from requests_app.people import person_name
from requests_app.permissions import BACK_OFFICE_ROLES, Role, is_back_office
from requests_app.workflow import STATUS_MEANING, RequestStatus, Resolution

# The user model (auth.User, not swapped): its class for the type checker, the swappable
# lookup at run time.
if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_stubs_ext import WithAnnotations
else:
    User = get_user_model()
UserGroup = User.groups.through

if TYPE_CHECKING:
    class _RecipientFlags(TypedDict):
        spt_muted: bool
        spt_back_office: bool

    # A person ``recipients_for`` chose, with the flags it annotates.
    Recipient = WithAnnotations[User, _RecipientFlags]

CLOCK_LABELS = {"first_response": _("Première réponse"), "resolution": _("Résolution")}


@dataclass(frozen=True)
class Audience:
    """Who an event's e-mail goes to, before the rules that hold for every row."""

    kind: str
    followers: bool = False  # the reporter and the participants
    assignee: bool = False
    groups: tuple[str, ...] = ()


def _status_audience(event: RequestEvent) -> Audience | None:
    if event.is_internal or (event.payload or {}).get("transition") == "propose_resolution":
        return None  # the confirmation request that comes with it says both
    if event.to_status == RequestStatus.CLOSED:
        return Audience(NotificationKind.CLOSED, followers=True)
    return Audience(NotificationKind.STATUS_CHANGED, followers=True)


def _comment_audience(event: RequestEvent) -> Audience | None:
    if event.is_internal:
        return None
    if _by_back_office(event):
        return Audience(NotificationKind.AGENT_COMMENT, followers=True)
    return Audience(NotificationKind.CLIENT_COMMENT, assignee=True)


def _fixed(audience: Audience) -> Callable[[RequestEvent], Audience | None]:
    return lambda event: audience


_SLO_AUDIENCE: dict[str, Any] = {"assignee": True, "groups": (Role.DAILY,)}

# The table of DESIGN §6: every event kind has an audience rule here, or is history-only.
AUDIENCES: dict[str, Callable[[RequestEvent], Audience | None]] = {
    EventKind.CREATED: _fixed(Audience(NotificationKind.REQUEST_RECEIVED, followers=True,
                                       groups=(Role.FRONTDESK,))),
    EventKind.STATUS_CHANGED: _status_audience,
    EventKind.COMMENTED: _comment_audience,
    EventKind.CONFIRMATION_REQUESTED: _fixed(
        Audience(NotificationKind.CONFIRMATION_REQUEST, followers=True)),
    EventKind.CONFIRMED: _fixed(Audience(NotificationKind.CONFIRMED, assignee=True)),
    EventKind.DENIED: _fixed(Audience(NotificationKind.DENIED, assignee=True)),
    EventKind.SLO_WARNING: _fixed(Audience(NotificationKind.SLO_WARNING, **_SLO_AUDIENCE)),
    EventKind.SLO_BREACHED: _fixed(Audience(NotificationKind.SLO_BREACHED, **_SLO_AUDIENCE)),
}
HISTORY_ONLY = frozenset({
    EventKind.INTERNAL_NOTE, EventKind.FIELD_CHANGED, EventKind.ASSIGNED,
    EventKind.ATTACHMENT_ADDED, EventKind.PARTICIPANT_ADDED, EventKind.PARTICIPANT_REMOVED,
    EventKind.MUTED, EventKind.UNMUTED, EventKind.SLO_BREACH_LIFTED,
})


def audience_for(event: RequestEvent) -> Audience | None:
    """The one e-mail an event causes, or None (history-only events, internal ones)."""
    rule = AUDIENCES.get(event.kind)
    return rule(event) if rule is not None else None


def _by_back_office(event: RequestEvent) -> bool:
    payload = event.payload or {}
    if "by_back_office" in payload:
        return bool(payload["by_back_office"])
    return event.actor is not None and is_back_office(event.actor)


def recipients_for(event: RequestEvent, audience: Audience) -> list[Recipient]:
    """The people who get the e-mail, in one query whatever their number, each annotated
    with ``spt_muted`` and ``spt_back_office``."""
    request = event.request
    wanted = Q()
    if audience.followers:
        wanted |= Q(pk=request.reporter_id) | Q(
            pk__in=Participant.objects.filter(request_id=request.pk).values("user_id")
        )
    if audience.assignee and request.assignee_id:
        wanted |= Q(pk=request.assignee_id)
    if audience.groups:
        wanted |= Q(
            pk__in=UserGroup.objects.filter(group__name__in=audience.groups).values("user_id")
        )
    if not wanted:
        return []
    people = (
        User.objects.filter(wanted, is_active=True)
        .exclude(email="")
        .annotate(
            spt_muted=Exists(
                NotificationMute.objects.filter(request_id=request.pk, user_id=OuterRef("pk"))
            ),
            spt_back_office=Exists(
                UserGroup.objects.filter(user_id=OuterRef("pk"),
                                         group__name__in=BACK_OFFICE_ROLES)
            ),
        )
        .select_related("profile")
        .order_by("pk")
    )
    if event.actor_id is not None:
        people = people.exclude(pk=event.actor_id)
    chosen: list[Recipient] = []
    for person in people:
        person.spt_back_office = person.spt_back_office or person.is_superuser
        if event.is_internal and not person.spt_back_office:
            continue
        always = (audience.kind == NotificationKind.CONFIRMATION_REQUEST
                  and person.pk == request.reporter_id)
        if person.spt_muted and not always:
            continue
        chosen.append(person)
    return chosen


def _language_of(person: User) -> str:
    try:
        language = person.profile.language
    except Profile.DoesNotExist:
        language = ""
    available = {code for code, _name in settings.LANGUAGES}
    return language if language in available else settings.LANGUAGE_CODE


def request_url(request: Any, *, back_office: bool) -> str:
    area = "agent" if back_office else "portal"
    return f"{settings.PORTAL_BASE_URL}/{area}/requests/{request.key}/"


def _context(event: RequestEvent, kind: str) -> dict[str, Any]:
    """What the templates of every recipient share; lazy labels are turned into text by the
    rendering, inside the recipient's language."""
    request = event.request
    comment = event.comment
    payload = event.payload or {}
    context: dict[str, Any] = {
        "kind": kind,
        "key": request.key,
        "title": request.title,
        "author": person_name(event.actor),
        # Internal notes never leave the back office: not even agents get them by e-mail.
        "comment_body": comment.body if comment is not None and not comment.is_internal else "",
    }
    if kind == NotificationKind.REQUEST_RECEIVED:
        context.update(
            reporter=person_name(request.reporter),
            creator=person_name(request.created_by),
            on_behalf=request.created_by_id != request.reporter_id,
            organisation=request.organisation.name,
            request_type=request.request_type.name,
            priority=request.priority.name,
            description=request.description,
        )
    elif kind in (NotificationKind.STATUS_CHANGED, NotificationKind.DENIED):
        status = event.to_status or RequestStatus.IN_PROGRESS
        context.update(status=RequestStatus(status).label,
                       status_meaning=STATUS_MEANING[RequestStatus(status)])
    elif kind == NotificationKind.CLOSED:
        context["resolution"] = (
            Resolution(request.resolution).label if request.resolution
            else payload.get("resolution", "")
        )
    elif kind in (NotificationKind.SLO_WARNING, NotificationKind.SLO_BREACHED):
        clock = payload.get("clock", "")
        context.update(clock=CLOCK_LABELS.get(clock, clock), priority=request.priority.name)
    return context


_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"(?m)(?<!^--)[ \t]+$")


def _tidy_text(text: str) -> str:
    return _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("", text)).strip() + "\n"


def render_email(kind: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text body and HTML body of one e-mail, in ``language``."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
        context = {**context, "subject": subject}
        text = _tidy_text(render_to_string(f"emails/{kind}_body.txt", context))
        html = render_to_string(f"emails/{kind}_body.html", context)
    return subject, text, html


def notify(event: RequestEvent) -> list[OutboundMessage]:
    """Write the outbox rows this event causes, in the current transaction, and publish their
    send tasks once it commits. Services call it right after writing the event."""
    audience = audience_for(event)
    if audience is None:
        return []
    people = recipients_for(event, audience)
    if not people:
        return []
    shared = _context(event, audience.kind)
    now = timezone.now()
    messages = []
    for person in people:
        language = _language_of(person)
        context = {
            **shared,
            "recipient_name": person_name(person),
            "for_back_office": person.spt_back_office,
            "url": request_url(event.request, back_office=person.spt_back_office),
        }
        subject, text, html = render_email(audience.kind, context, language)
        messages.append(OutboundMessage(
            request_id=event.request_id, event=event, recipient=person,
            to_address=person.email, language=language, kind=audience.kind,
            subject=subject[:400], body_text=text, body_html=html,
            created_at=now, next_attempt_at=now,
        ))
    created = OutboundMessage.objects.bulk_create(messages)
    outbox.publish_on_commit([message.pk for message in created])
    return created
