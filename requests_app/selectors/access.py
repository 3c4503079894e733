"""Reads, always scoped by the person reading. The one access rule is ``request_visible_q``:
every list, page, attachment, export and count goes through it."""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from functools import reduce
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from requests_app import permissions
from requests_app.exceptions import RequestNotFound
from requests_app.models import (
    KEY_PREFIX,
    Attachment,
    Comment,
    Mention,
    NotificationMute,
    Participant,
    Request,
    RequestEvent,
    RequestType,
)
from requests_app.selectors.reference import reference_attach

AnyUser = User | AnonymousUser
# ASCII digits only (``\d`` would also take "١٢"), nine at most: within the number's column.
_KEY_RE = re.compile(rf"^(?:{KEY_PREFIX})?([0-9]{{1,9}})$", re.IGNORECASE | re.ASCII)


def request_visible_parts(user: AnyUser) -> list[Q] | None:
    """The access rule of DESIGN §2, as the parts whose union a person sees.

    ``None``: every request (agents and administrators). Sales administration: the requests
    of the types it manages (Licence, every organisation) and those it created. A client:
    what they reported, what they take part in, and what their organisation's members shared
    with it. Anyone else: no part, nothing.

    Each part is served by an index of its own; ``request_visible_q`` joins them with OR (a
    test of one row, or a list where PostgreSQL combines the indexes), and a long list may
    read each part apart in its order and merge them (``portal_request_rows``).
    """
    if permissions.sees_every_request(user):
        return None
    # (An AnonymousUser is never authenticated; isinstance tells the type checker so.)
    if isinstance(user, AnonymousUser) or not getattr(user, "is_authenticated", False):
        return []
    if permissions.is_sales_admin(user):
        sales_managed = RequestType.objects.filter(client_can_open=False).values("pk")
        return [Q(request_type_id__in=sales_managed), Q(created_by_id=user.pk)]
    parts = [
        Q(reporter_id=user.pk),
        # The few requests this person takes part in: a small set PostgreSQL hashes once
        # (an EXISTS per row, inside an OR, would make it scan the whole table).
        Q(pk__in=Participant.objects.filter(user_id=user.pk).values("request_id")),
    ]
    organisation_id = permissions.organisation_id_of(user)
    if organisation_id is not None:
        parts.append(Q(organisation_id=organisation_id, shared_with_organisation=True))
    return parts


def request_visible_q(user: AnyUser) -> Q:
    """The access rule as one filter: the union of ``request_visible_parts``."""
    parts = request_visible_parts(user)
    if parts is None:
        return Q()
    if not parts:
        return Q(pk__in=[])
    return reduce(operator.or_, parts)


def request_list_visible_to(user: AnyUser) -> QuerySet[Request]:
    return Request.objects.filter(request_visible_q(user))


def parse_request_key(key: str | int) -> int | None:
    match = _KEY_RE.match(str(key).strip())
    return int(match.group(1)) if match else None


def request_get_for_user(user: AnyUser, key: str | int, *, for_page: bool = False,
                         with_people: bool = True) -> Request:
    """The request ``SPT-<n>`` if this person may see it; ``RequestNotFound`` otherwise, so
    that a URL of another organisation says nothing of what exists. ``for_page``: what the
    request page asks of it comes with it — whether this person muted it (``viewer_muted``)
    and whether anything follows it up (``has_follow_ups``: most requests have none, and
    then their list is not read), and for the back office how many of this person's mentions
    in it are unread (``viewer_mentions_unread``, the page's read receipt); without
    ``with_people`` the caller reads the people it names (``people_attach``) with others."""
    number = parse_request_key(key)
    if number is None:
        raise RequestNotFound()
    queryset = request_list_visible_to(user).filter(number=number)
    if for_page and user.pk is not None:
        queryset = queryset.annotate(
            viewer_muted=Exists(NotificationMute.objects.filter(
                request=OuterRef("pk"), user_id=user.pk)),
            has_follow_ups=Exists(Request.objects.filter(follows_up=OuterRef("pk"))),
        )
        if permissions.is_back_office(user):
            queryset = queryset.annotate(viewer_mentions_unread=_mentions_unread(user))
    # The number is unique: no order to compile, as ``first()`` would add.
    request = next(iter(queryset[:1]), None)
    if request is None:
        raise RequestNotFound()
    # No join: the type, priority, module and organisation from the process's copy, the
    # request it follows up (rare) on its own.
    reference_attach([request])
    if request.follows_up_id is not None:
        request.follows_up = Request.objects.get(pk=request.follows_up_id)
    if with_people:
        people_attach(request_people(request))
    return request


def _mentions_unread(user: AnyUser) -> Coalesce:
    unread = (Mention.objects.filter(request_id=OuterRef("pk"), person_id=user.pk,
                                     read_at__isnull=True)
              .order_by().values("request_id").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


# The people a request names. Read in one query of their own: five more joins made
# PostgreSQL spend four times longer planning the request's query than running it (the
# reference rows are not joined either: ``selectors.reference``).
REQUEST_PEOPLE = ("reporter", "created_by", "assignee", "qualified_by", "updated_by")


def request_people(request: Request) -> list[tuple[Any, str]]:
    """The request's references to people, for ``people_attach``."""
    return [(request, name) for name in REQUEST_PEOPLE]


def people_attach(references: Iterable[tuple[Any, str]]) -> None:
    """Sets each ``(instance, field)``'s person from ONE query for all of them: a page names
    the same few people from the request, its history, attachments and participants, which
    a join per list would read (and compile) once per list."""
    references = list(references)
    ids = {getattr(instance, f"{name}_id") for instance, name in references} - {None}
    people = User.objects.in_bulk(ids) if ids else {}
    for instance, name in references:
        pk = getattr(instance, f"{name}_id")
        if pk in people:
            setattr(instance, name, people[pk])


def request_is_visible_to(user: AnyUser, request_id: int) -> bool:
    return request_list_visible_to(user).filter(pk=request_id).exists()


def request_get_for_update(user: AnyUser, request: Request | int) -> Request:
    """The one getter every write service starts with, inside its transaction: the request
    re-read through the access rule with only its own row locked (``FOR UPDATE OF``: the
    shared priority, type and organisation rows stay free for everyone else's writes).

    Anything the person may not see is ``RequestNotFound``, before any other check, so that
    "closed", "changed meanwhile" or "not allowed" are only ever said to someone who sees
    the request.
    """
    pk = request if isinstance(request, int) else request.pk
    lock: dict[str, Any] = {}
    if connection.features.has_select_for_update_of:
        lock["of"] = ("self",)
    locked = (
        request_list_visible_to(user)
        .select_for_update(**lock)
        .select_related("request_type", "priority", "organisation")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise RequestNotFound()
    return locked


def comment_list_visible_to(user: AnyUser, request: Request) -> QuerySet[Comment]:
    comments = Comment.objects.filter(request=request).select_related("author")
    if not permissions.sees_internal(request, user):
        comments = comments.filter(is_internal=False)
    return comments


def request_timeline(user: AnyUser, request: Request) -> QuerySet[RequestEvent]:
    """The history, newest first; internal lines only for those who see them."""
    events = RequestEvent.objects.filter(request=request).select_related("actor", "comment")
    if not permissions.sees_internal(request, user):
        events = events.filter(is_internal=False)
    return events.order_by("-created_at", "-pk")


def attachment_get_for_user(user: AnyUser, token: str) -> Attachment:
    """An attachment of a request this person may see (404 otherwise); internal ones only for
    those who see the request's internal notes."""
    attachment = (
        Attachment.objects.filter(token=token, request__in=request_list_visible_to(user))
        .select_related("request__request_type")
        .first()
    )
    if attachment is None or (
        attachment.is_internal and not permissions.sees_internal(attachment.request, user)
    ):
        raise RequestNotFound(_("Pièce jointe introuvable."))
    return attachment


def attachment_list_visible_to(user: AnyUser, request: Request) -> QuerySet[Attachment]:
    attachments = Attachment.objects.filter(request=request).select_related("uploaded_by")
    if not permissions.sees_internal(request, user):
        attachments = attachments.filter(is_internal=False)
    return attachments


def participant_list(request: Request) -> QuerySet[Participant]:
    return Participant.objects.filter(request=request).select_related("user")


def is_muted(user: AnyUser, request: Request) -> bool:
    if user.pk is None:  # AnonymousUser: no mute of theirs
        return False
    return NotificationMute.objects.filter(request=request, user_id=user.pk).exists()


def canned_reply_visible_q(user: AnyUser) -> Q:
    """The canned replies a person may see and insert: those shared with the back office and
    their own personal ones; nobody sees another person's, an administrator included (the
    Django admin is there for the rare fix). Nobody outside the back office sees any."""
    if not permissions.may_use_canned_replies(user) or user.pk is None:
        return Q(pk__in=[])
    return Q(owner__isnull=True) | Q(owner_id=user.pk)


def saved_view_visible_q(user: AnyUser) -> Q:
    """The saved views a person may see and open: their own and those shared with one of
    their roles; another person's personal view never, an administrator's included. Nobody
    outside the back office sees any. (What a view then lists is the access rule's answer
    for the person reading it, never its owner's.)"""
    if not permissions.may_keep_saved_views(user) or user.pk is None:
        return Q(pk__in=[])
    roles = sorted(permissions.roles_of(user))
    return Q(owner_id=user.pk) | Q(shared_role__in=roles) if roles else Q(owner_id=user.pk)
