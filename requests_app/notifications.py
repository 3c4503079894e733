"""Who hears about which event (DESIGN §6): outbox rows written in the event's transaction.

``notify`` is called by the services right after they record an event. It decides the
recipients, renders each e-mail in the recipient's language and writes the rows; the send
tasks are published only after commit (``outbox.publish_on_commit``). News of one request for
one person within ``NOTIFICATION_GROUP_SECONDS`` of each other leave as one e-mail
(``outbox``; ``email_combined`` renders it); the receipt and the confirmation request leave at
once.

| Event                                  | E-mail                 | To                        |
|----------------------------------------|------------------------|---------------------------|
| created                                | request_received       | reporter (the receipt,    |
|                                        |                        | even as its author),      |
|                                        |                        | participants, FrontDesk   |
| status_changed, a client action (1)    | status_changed         | reporter, participants    |
| status_changed to Fermé, idem          | closed                 | reporter, participants    |
| status_changed, another action (2)     | agent_comment if it    | reporter, participants    |
|                                        | has a public comment   |                           |
| status_changed, Proposer la résolution | — (see below)          |                           |
| commented by the back office           | agent_comment          | reporter, participants    |
| commented by a client                  | client_comment         | assignee                  |
| confirmation_requested                 | confirmation_request   | reporter (even muted),    |
|                                        |                        | participants              |
| confirmed / denied                     | confirmed / denied     | assignee                  |
| slo_warning / slo_breached             | slo_warning / …        | assignee, Daily           |
| an internal note naming @colleagues    | mention                | the colleagues named who  |
| (its own line, or a status change's)   | (``notify_mentioned``) | read the note             |
| customer_reminded (the portal, beat)   | customer_reminder      | reporter, participants    |
| — (the morning digest, beat)           | daily_digest           | Daily (no request, no     |
|                                        |                        | event: ``digest_notify``) |

(1) ``TRANSITIONS_CLIENTS_HEAR_OF``: Prendre en charge, Demander des informations, the
client's answer, Reprendre (it no longer waits for them), and every closing action.
(2) Qualifier, Escalader à un expert, Retour au ServiceDesk, Transmettre au R&D, Correction
disponible.

So a client hears that their request was received, taken in charge (En cours), answered (a
public comment), waits for their answer (En attente client, with the question), has a
resolution to confirm, went back to work after an answer (for the other people following it)
or without one (Reprendre: they need not answer anymore), and was closed; never of the hops
inside Customer Service (Qualifié, En attente triage, En attente R&D, and the return to
En cours from them).

Rules that hold for every row:

* the author of the action is never told about it, except the reporter of the receipt;
* a person who muted the request gets nothing about it, except the reporter, who always gets
  the confirmation request (they must answer it);
* an internal event (``is_internal``) reaches back-office people only, and no e-mail ever
  carries the text of an internal comment;
* "Proposer la résolution" records a status change and a confirmation request: the client
  gets the confirmation request only, which says both;
* a person who turned a kind of e-mail off on "Mon profil" does not get it
  (``requests_app.preferences``; the confirmation request cannot be turned off);
* people without an e-mail address, or inactive, are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypedDict

import css_inline
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from requests_app import outbox
from requests_app.markdown import render_markdown
from requests_app.models import (
    EventKind,
    NotificationKind,
    NotificationMute,
    OutboundMessage,
    Participant,
    RequestEvent,
)
from requests_app.people import person_name
from requests_app.permissions import BACK_OFFICE_ROLES, Role, is_back_office
from requests_app.preferences import language_of, wants_email
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

# The workflow actions whose status change a client is told of (the one place of the rule;
# DESIGN §6 and the table above). The others move the request inside Customer Service, and a
# client hears of them only through a public comment they carry. "Proposer la résolution" is
# told by its confirmation request.
TRANSITIONS_CLIENTS_HEAR_OF = frozenset({
    "start",                    # Qualifié → En cours: someone works on it
    "ask_customer",             # → En attente client, with the question
    "customer_reply",           # → En cours again after an answer (the author is not told)
    "take_back",                # → En cours without their answer: it no longer awaits them
    "close_without_follow_up",  # → Fermé, and why
    "close",
    "close_without_answer",
    "close_escalated",
    "withdraw",
})


@dataclass(frozen=True)
class Audience:
    """Who an event's e-mail goes to, before the rules that hold for every row."""

    kind: str
    followers: bool = False  # the reporter and the participants
    assignee: bool = False
    groups: tuple[str, ...] = ()
    # The reporter is told even when they are the author (the receipt of their request).
    reporter_even_if_author: bool = False
    # Named people (user ids): the colleagues a note mentions (``notify_mentioned``).
    people: tuple[int, ...] = ()


def _status_audience(event: RequestEvent) -> Audience | None:
    transition = (event.payload or {}).get("transition")
    if event.is_internal or transition == "propose_resolution":
        return None  # the confirmation request that comes with it says both
    if transition in TRANSITIONS_CLIENTS_HEAR_OF:
        if event.to_status == RequestStatus.CLOSED:
            return Audience(NotificationKind.CLOSED, followers=True)
        return Audience(NotificationKind.STATUS_CHANGED, followers=True)
    if event.comment is not None and not event.comment.is_internal:
        # A hop inside Customer Service with a word for the client: the word, not the hop.
        return Audience(NotificationKind.AGENT_COMMENT, followers=True)
    return None


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
                                       groups=(Role.FRONTDESK,),
                                       reporter_even_if_author=True)),
    EventKind.STATUS_CHANGED: _status_audience,
    EventKind.COMMENTED: _comment_audience,
    EventKind.CONFIRMATION_REQUESTED: _fixed(
        Audience(NotificationKind.CONFIRMATION_REQUEST, followers=True)),
    EventKind.CONFIRMED: _fixed(Audience(NotificationKind.CONFIRMED, assignee=True)),
    EventKind.DENIED: _fixed(Audience(NotificationKind.DENIED, assignee=True)),
    EventKind.SLO_WARNING: _fixed(Audience(NotificationKind.SLO_WARNING, **_SLO_AUDIENCE)),
    EventKind.SLO_BREACHED: _fixed(Audience(NotificationKind.SLO_BREACHED, **_SLO_AUDIENCE)),
    # The portal's reminder that an answer is awaited (``services.automation``).
    EventKind.CUSTOMER_REMINDED: _fixed(
        Audience(NotificationKind.CUSTOMER_REMINDER, followers=True)),
}
HISTORY_ONLY = frozenset({
    EventKind.INTERNAL_NOTE, EventKind.FIELD_CHANGED, EventKind.ASSIGNED,
    EventKind.ATTACHMENT_ADDED, EventKind.PARTICIPANT_ADDED, EventKind.PARTICIPANT_REMOVED,
    EventKind.MUTED, EventKind.UNMUTED, EventKind.SLO_BREACH_LIFTED,
    # Read on the agent page and in the satisfaction report; the confirmation that usually
    # carries it already told the assignee.
    EventKind.SATISFACTION_RATED,
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
    if audience.people:
        wanted |= Q(pk__in=audience.people)
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
    if event.actor_id is not None and not (audience.reporter_even_if_author
                                           and event.actor_id == request.reporter_id):
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
        if not wants_email(person, audience.kind):
            continue  # turned off on their profile
        chosen.append(person)
    return chosen


def request_url(request: Any, *, back_office: bool) -> str:
    area = "agent" if back_office else "portal"
    return f"{settings.PORTAL_BASE_URL}/{area}/requests/{request.key}/"


def _personal(person: User, request: Any, *, back_office: bool) -> dict[str, Any]:
    """What differs between the recipients of one event."""
    return {
        "recipient_name": person_name(person),
        "for_back_office": back_office,
        "url": request_url(request, back_office=back_office),
    }


def _status_context(status: str) -> dict[str, Any]:
    code = RequestStatus(status)
    return {"status": code.label, "status_code": code.value, "status_meaning": STATUS_MEANING[code]}


def _context(event: RequestEvent, kind: str) -> dict[str, Any]:
    """What the templates of every recipient share; lazy labels are turned into text by the
    rendering, inside the recipient's language."""
    request = event.request
    comment = event.comment
    payload = event.payload or {}
    # Internal notes never leave the back office: not even agents get them by e-mail.
    public = comment if comment is not None and not comment.is_internal else None
    context: dict[str, Any] = {
        "kind": kind,
        "key": request.key,
        "title": request.title,
        "author": person_name(event.actor),
        "transition": payload.get("transition", ""),
        "comment_body": public.body if public is not None else "",
        # The sanitised HTML stored with the comment (``requests_app.markdown``).
        "comment_html": public.body_rendered if public is not None else "",
    }
    if kind == NotificationKind.REQUEST_RECEIVED:
        context.update(
            reporter=person_name(request.reporter),
            creator=person_name(request.created_by),
            on_behalf=request.created_by_id != request.reporter_id,
            organisation=request.organisation.name,
            # The rows, not their names: a name is read when rendered, in the recipient's
            # language (django-modeltranslation).
            request_type=request.request_type,
            priority=request.priority,
            description=request.description,
            description_html=request.description_rendered,
        )
    elif kind in (NotificationKind.STATUS_CHANGED, NotificationKind.DENIED):
        context.update(_status_context(event.to_status or RequestStatus.IN_PROGRESS))
    elif kind == NotificationKind.CLOSED:
        context.update(_status_context(RequestStatus.CLOSED))
        context["resolution"] = (
            Resolution(request.resolution).label if request.resolution
            else payload.get("resolution", "")
        )
    elif kind in (NotificationKind.SLO_WARNING, NotificationKind.SLO_BREACHED):
        clock = payload.get("clock", "")
        context.update(clock=CLOCK_LABELS.get(clock, clock), priority=request.priority)
    elif kind == NotificationKind.CUSTOMER_REMINDER:
        # As the reminder recorded them: a resend says the same.
        due = payload.get("reply_due_at")
        context.update(confirmation=bool(payload.get("confirmation")),
                       reply_due_at=parse_datetime(due) if due else None,
                       business_days=payload.get("business_days"))
    return context


_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"(?m)(?<!^--)[ \t]+$")


def _tidy_text(text: str) -> str:
    return _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("", text)).strip() + "\n"


@lru_cache(maxsize=1)
def _inliner() -> css_inline.CSSInliner:
    # The e-mails link no stylesheet; should one ever, it is not fetched from anywhere.
    return css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)


def inline_css(html: str) -> str:
    """The document with its ``<style>`` rules moved into style attributes, and the
    ``<style>`` element gone: many mail clients drop it, or everything in ``<head>``."""
    return _inliner().inline(html)


def _with_markdown(context: dict[str, Any]) -> dict[str, Any]:
    """The HTML of the Markdown texts a caller gave only as text."""
    extra = {}
    if context.get("comment_body") and not context.get("comment_html"):
        extra["comment_html"] = render_markdown(context["comment_body"])
    if context.get("description") and not context.get("description_html"):
        extra["description_html"] = render_markdown(context["description"])
    return {**context, **extra} if extra else context


def render_email(kind: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text body and HTML body (CSS inlined) of one e-mail, in ``language``.

    The text part keeps people's Markdown as they wrote it; the HTML part shows it rendered
    and sanitised."""
    context = _with_markdown(context)
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
        context = {**context, "subject": subject}
        text = _tidy_text(render_to_string(f"emails/{kind}_body.txt", context))
        html = inline_css(render_to_string(f"emails/{kind}_body.html", context))
    return subject, text, html


# The frames that render a kind's body as one part of a combined e-mail: its content only.
_SECTION_FRAMES = {"txt": "emails/_section.txt", "html": "emails/_section.html"}


def _section(kind: str, context: dict[str, Any], at: Any) -> dict[str, Any]:
    """One piece of news of a combined e-mail, rendered in the current language."""
    context = _with_markdown(context)
    subject = " ".join(render_to_string(f"emails/{kind}_subject.txt", context).split())
    text = render_to_string(f"emails/{kind}_body.txt",
                            {**context, "frame": _SECTION_FRAMES["txt"]})
    html = render_to_string(f"emails/{kind}_body.html",
                            {**context, "frame": _SECTION_FRAMES["html"]})
    return {"kind": kind, "label": str(NotificationKind(kind).label), "at": at,
            "subject": subject, "text": _tidy_text(text).rstrip(),
            "html": mark_safe(html.strip())}  # noqa: S308 - rendered by our templates


def render_combined(sections: Sequence[tuple[str, dict[str, Any], Any]],
                    context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of one e-mail with several news of one request (``sections``:
    kind, its template context, when), oldest first; ``context`` says to whom and of which
    request. Its subject is the one of a news that asks something of the reader (the
    confirmation request), else it counts them."""
    with translation.override(language):
        parts = [_section(kind, {**part, **context}, at) for kind, part, at in sections]
    urgent = next((part for part in parts if part["kind"] in outbox.SENT_AT_ONCE), None)
    return render_email("digest", {
        **context, "kind": "digest", "sections": parts, "count": len(parts),
        "lead_subject": urgent["subject"] if urgent is not None else "",
    }, language)


def email_combined(*, leader: OutboundMessage, members: Sequence[OutboundMessage]
                   ) -> tuple[str, str, str]:
    """The one e-mail of rows merged for one person about one request (``members``, the
    leader among them, oldest first), in the leader's language. Called by the outbox when it
    merges rows; each row's event gives its news again, so a retry renders the same."""
    # The leader as read among the members, with its person and event already loaded.
    leader = next((row for row in members if row.pk == leader.pk), leader)
    person = leader.recipient
    event = leader.event
    if person is None or event is None:
        return leader.subject, leader.body_text, leader.body_html
    request = event.request
    context = {"key": request.key, "title": request.title,
               **_personal(person, request, back_office=is_back_office(person))}
    sections = [(row.kind, _context(row.event, row.kind), row.event.created_at)
                for row in members if row.event is not None]
    return render_combined(sections, context, leader.language)


def notify(event: RequestEvent) -> list[OutboundMessage]:
    """Write the outbox rows this event causes, in the current transaction, and publish their
    send tasks once it commits (a news that waits for others to go with is published to run
    once its window is over). Services call it right after writing the event."""
    audience = audience_for(event)
    if audience is None:
        return []
    return _outbox_write(event, audience)


def notify_mentioned(event: RequestEvent, people: Sequence[int]) -> list[OutboundMessage]:
    """The "mention" e-mail to the colleagues (user ids) that the internal note of ``event``
    mentions, as ``services.mentions`` chose them (back-office people who read the note, not
    its author), under the rules of every row: muted, turned off, no address. The e-mail says
    who mentioned them and where, never the note. Someone who already gets an e-mail of this
    event (a status change they follow) gets that one only: one e-mail per person and event."""
    told = set(OutboundMessage.objects.filter(event=event).values_list("recipient_id",
                                                                        flat=True))
    named = tuple(pk for pk in people if pk not in told)
    if not named:
        return []
    return _outbox_write(event, Audience(NotificationKind.MENTION, people=named))


def _outbox_write(event: RequestEvent, audience: Audience) -> list[OutboundMessage]:
    people = recipients_for(event, audience)
    if not people:
        return []
    shared = _context(event, audience.kind)
    now = timezone.now()
    hold = outbox.hold_seconds(audience.kind)
    due = now + timedelta(seconds=hold)
    messages = []
    for person in people:
        language = language_of(person)
        context = {**shared, **_personal(person, event.request,
                                         back_office=person.spt_back_office)}
        subject, text, html = render_email(audience.kind, context, language)
        messages.append(OutboundMessage(
            request_id=event.request_id, event=event, recipient=person,
            to_address=person.email, language=language, kind=audience.kind,
            subject=subject[:400], body_text=text, body_html=html,
            created_at=now, next_attempt_at=due,
        ))
    created = OutboundMessage.objects.bulk_create(messages)
    outbox.publish_on_commit([message.pk for message in created], countdown=hold)
    return created


# --- the morning digest: about several requests, so no event (``services.automation``) -----

# The queue the digest lists the head of, and links to.
DIGEST_QUEUE = "slo-a-risque"


def digest_recipients() -> list[User]:
    """Who gets the morning digest: the Daily role's active people with an address, unless
    they turned it off on "Mon profil"."""
    people = (User.objects.filter(is_active=True, groups__name=Role.DAILY).exclude(email="")
              .select_related("profile").distinct().order_by("pk"))
    return [person for person in people if wants_email(person, NotificationKind.DAILY_DIGEST)]


def _digest_context(person: User, digest: Any, *, day: Any) -> dict[str, Any]:
    base = settings.PORTAL_BASE_URL
    lines = [{**vars(line), "url": f"{base}/agent/requests/{line.key}/"}
             for line in digest.lines]
    return {
        "kind": NotificationKind.DAILY_DIGEST,
        "recipient_name": person_name(person),
        "day": day,
        "breached_count": digest.breached_count,
        "at_risk_count": digest.at_risk_count,
        "more": digest.more,
        "breached_lines": [line for line in lines if line["breached"]],
        "at_risk_lines": [line for line in lines if not line["breached"]],
        "url": f"{base}{reverse('agent:queue', args=[DIGEST_QUEUE])}",
    }


def digest_notify(*, people: Sequence[User], digest_of: Callable[[User], Any], day: Any
                  ) -> list[OutboundMessage]:
    """Write the morning digest of each of ``people`` in the current transaction: what
    ``digest_of(person)`` answers, read in the person's language; nobody gets an empty one.
    Sent after commit, at once (nothing to group it with)."""
    now = timezone.now()
    messages = []
    for person in people:
        language = language_of(person)
        with translation.override(language):
            digest = digest_of(person)
        if digest.empty:
            continue
        subject, text, html = render_email(
            NotificationKind.DAILY_DIGEST, _digest_context(person, digest, day=day), language)
        messages.append(OutboundMessage(
            request=None, event=None, recipient=person, to_address=person.email,
            language=language, kind=NotificationKind.DAILY_DIGEST, subject=subject[:400],
            body_text=text, body_html=html, created_at=now, next_attempt_at=now,
        ))
    created = OutboundMessage.objects.bulk_create(messages)
    outbox.publish_on_commit([message.pk for message in created])
    return created
