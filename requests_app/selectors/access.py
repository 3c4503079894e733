"""Reads, always scoped by the person reading. The one access rule is ``request_visible_q``:
every list, page, attachment, export and count goes through it."""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from requests_app import permissions
from requests_app.exceptions import RequestNotFound
from requests_app.models import (
    KEY_PREFIX,
    Attachment,
    Comment,
    NotificationMute,
    Participant,
    Request,
    RequestEvent,
)

AnyUser = AbstractBaseUser | AnonymousUser
_KEY_RE = re.compile(rf"^(?:{KEY_PREFIX})?(\d{{1,9}})$", re.IGNORECASE)


def request_visible_q(user: AnyUser) -> Q:
    """The access rule of DESIGN §2 as one filter.

    Back office: everything. A client: what they reported, what they take part in, and what
    their organisation's members shared with it. Anyone else: nothing.
    """
    if permissions.is_back_office(user):
        return Q()
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    own = Q(reporter_id=user.pk) | Exists(
        Participant.objects.filter(request_id=OuterRef("pk"), user_id=user.pk)
    )
    organisation_id = permissions.organisation_id_of(user)
    if organisation_id is not None:
        own |= Q(organisation_id=organisation_id, shared_with_organisation=True)
    return own


def request_list_visible_to(user: AnyUser) -> QuerySet[Request]:
    return Request.objects.filter(request_visible_q(user))


def parse_request_key(key: str | int) -> int | None:
    match = _KEY_RE.match(str(key).strip())
    return int(match.group(1)) if match else None


def request_get_for_user(user: AnyUser, key: str | int) -> Request:
    """The request ``SPT-<n>`` if this person may see it; ``RequestNotFound`` otherwise, so
    that a URL of another organisation says nothing of what exists."""
    number = parse_request_key(key)
    if number is None:
        raise RequestNotFound(_("Demande introuvable."))
    request = (
        request_list_visible_to(user)
        .select_related(
            "request_type__category", "priority", "organisation", "reporter", "created_by",
            "assignee", "module", "qualified_by", "updated_by", "follows_up",
        )
        .filter(number=number)
        .first()
    )
    if request is None:
        raise RequestNotFound(_("Demande introuvable."))
    return request


def request_is_visible_to(user: AnyUser, request_id: int) -> bool:
    return request_list_visible_to(user).filter(pk=request_id).exists()


def comment_list_visible_to(user: AnyUser, request: Request) -> QuerySet[Comment]:
    comments = Comment.objects.filter(request=request).select_related("author")
    if not permissions.is_back_office(user):
        comments = comments.filter(is_internal=False)
    return comments


def request_timeline(user: AnyUser, request: Request) -> QuerySet[RequestEvent]:
    """The history, newest first; clients never see internal lines."""
    events = RequestEvent.objects.filter(request=request).select_related("actor", "comment")
    if not permissions.is_back_office(user):
        events = events.filter(is_internal=False)
    return events.order_by("-created_at", "-pk")


def attachment_get_for_user(user: AnyUser, token: str) -> Attachment:
    """An attachment of a request this person may see (404 otherwise); internal ones only for
    the back office."""
    attachments = Attachment.objects.filter(
        token=token, request__in=request_list_visible_to(user)
    )
    if not permissions.is_back_office(user):
        attachments = attachments.filter(is_internal=False)
    attachment = attachments.select_related("request").first()
    if attachment is None:
        raise RequestNotFound(_("Pièce jointe introuvable."))
    return attachment


def attachment_list_visible_to(user: AnyUser, request: Request) -> QuerySet[Attachment]:
    attachments = Attachment.objects.filter(request=request).select_related("uploaded_by")
    if not permissions.is_back_office(user):
        attachments = attachments.filter(is_internal=False)
    return attachments


def participant_list(request: Request) -> QuerySet[Participant]:
    return Participant.objects.filter(request=request).select_related("user")


def is_muted(user: AnyUser, request: Request) -> bool:
    return NotificationMute.objects.filter(request=request, user_id=user.pk).exists()


def customer_waiting_deadline(since: datetime) -> datetime:
    """When "Clore sans réponse" opens: the configured number of business days after the
    request started waiting for the client."""
    from slo.calendar import default_calendar

    return default_calendar().add_business_days(since, settings.CUSTOMER_WAIT_BUSINESS_DAYS)
