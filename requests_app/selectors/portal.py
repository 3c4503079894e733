"""Reads of the customer pages, all built on the one access rule (``request_list_visible_to``):
the client's list with its filters and counts, the request page in a fixed number of queries,
the types a client may open and the closed request a follow-up refers to."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from requests_app import permissions
from requests_app.exceptions import InvalidInput, PermissionDenied, RequestNotFound
from requests_app.models import (
    KEY_PREFIX,
    Attachment,
    EventKind,
    Participant,
    Priority,
    Request,
    RequestEvent,
    RequestType,
    SatisfactionRating,
)
from requests_app.people import person_name_of
from requests_app.selectors.access import (
    attachment_list_visible_to,
    participant_list,
    people_attach,
    request_get_for_user,
    request_list_visible_to,
    request_people,
    request_timeline,
    request_visible_parts,
)
from requests_app.selectors.counting import grouped_count_of_union
from requests_app.selectors.reference import reference_row
from requests_app.selectors.search import Search
from requests_app.workflow import OPEN_STATUSES, ConfirmationState, RequestStatus
from slo import display as slo_display

# The user model (auth.User, not swapped): its class for the type checker, the swappable
# lookup at run time.
if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()
AnyUser = User | AnonymousUser

# --- the list ("Mes demandes") -------------------------------------------------------------------

STATE_OPEN, STATE_CLOSED = "open", "closed"
SCOPE_MINE, SCOPE_PARTICIPATING, SCOPE_COLLEAGUES = "mine", "participating", "colleagues"
SORTS: dict[str, tuple[str, ...]] = {
    "updated": ("-updated_at", "-number"),
    "newest": ("-number",),
    "oldest": ("number",),
    "priority": ("priority__rank", "-updated_at", "-number"),
}
DEFAULT_SORT = "updated"
# Without an order chosen, a search lists the best found first (``search_rank``), then as the
# default order would.
RELEVANCE_ORDER = ("-search_rank", "-updated_at", "-number")


@dataclass(frozen=True)
class RequestFilters:
    """What the client asked the list for; empty strings mean "no filter" (for ``sort``: the
    best found first while searching, else ``DEFAULT_SORT``)."""

    q: str = ""
    status: str = ""
    type_code: str = ""
    state: str = ""
    scope: str = ""
    sort: str = ""

    @cached_property
    def search(self) -> Search:
        """The search typed, prepared once for the list's counts and rows: the public words
        only (never an internal note's)."""
        return Search(self.q)

    @cached_property
    def found(self) -> dict[int, dict[int, tuple]]:
        """What a search found, by person (``_found``): read once for counts and pages."""
        return {}


def _order(filters: RequestFilters) -> tuple[str, ...]:
    if filters.sort in SORTS:
        return SORTS[filters.sort]
    return RELEVANCE_ORDER if filters.search.active else SORTS[DEFAULT_SORT]


def _participating_q(user: User) -> Q:
    return Q(pk__in=Participant.objects.filter(user_id=user.pk).values("request_id"))


def _scope_q(user: User, scope: str) -> Q:
    if scope == SCOPE_MINE:
        return Q(reporter_id=user.pk)
    if scope == SCOPE_PARTICIPATING:
        return _participating_q(user)
    if scope == SCOPE_COLLEAGUES:
        return ~Q(reporter_id=user.pk) & ~_participating_q(user)
    return Q()


def _filter_q(user: User, filters: RequestFilters, *, by_status: bool) -> Q:
    """What ``filters`` keep, besides the access rule."""
    condition = _scope_q(user, filters.scope)
    if filters.type_code:
        condition &= Q(request_type__code=filters.type_code)
    if filters.search.active:
        # Each word found in the key, the title, the description or a public comment.
        condition &= filters.search.q()
    if by_status:
        statuses = _statuses_kept(filters)
        if len(statuses) < len(RequestStatus.choices):  # every status: no condition to test
            condition &= Q(status__in=statuses)
    return condition


def _statuses_kept(filters: RequestFilters) -> list[str]:
    statuses = [value for value, _label in RequestStatus.choices]
    if filters.state == STATE_OPEN:
        statuses = [value for value in statuses if value in OPEN_STATUSES]
    elif filters.state == STATE_CLOSED:
        statuses = [RequestStatus.CLOSED]
    if filters.status:
        statuses = [value for value in statuses if value == filters.status]
    return statuses


def _rule_parts(user: User) -> list[Q]:
    """The parts of the access rule (one that keeps everything for those who see all)."""
    parts = request_visible_parts(user)
    return [Q()] if parts is None else parts


def _visible_parts(user: User, condition: Q) -> list[QuerySet[Request]]:
    """The parts of the access rule, each with ``condition``: read one by one, each through
    its own index (the union in one OR would make PostgreSQL scan the whole table)."""
    return [Request.objects.filter(part, condition) for part in _rule_parts(user)]


# What orders a search's requests (``_found``), by the name of the list's order key.
_FOUND_FIELDS = ("pk", "status", "search_rank", "updated_at", "number", "priority_id")
_FOUND_KEYS: dict[str, Callable[[tuple], Any]] = {
    "search_rank": itemgetter(1), "updated_at": itemgetter(2), "number": itemgetter(3),
    "priority__rank": lambda found: reference_row(Priority, found[4]).rank,
}


def _found(user: User, filters: RequestFilters) -> dict[int, tuple]:
    """{pk: (status, rank, updated_at, number, priority)} of every request a search finds
    among those this person sees under the other filters (type, scope; not the status), in
    one query over the rule's parts (each through its indexes). Counting them reads each of
    them anyway: their counts per status and their order come from the same rows, read once
    per list."""
    if user.pk not in filters.found:
        rank = filters.search.rank()
        condition = _filter_q(user, filters, by_status=False)
        parts = [part.annotate(search_rank=rank).order_by().values_list(*_FOUND_FIELDS)
                 for part in _visible_parts(user, condition)]
        found: dict[int, tuple] = {}
        if parts:
            rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
            found = {pk: tuple(values) for pk, *values in rows}
        filters.found[user.pk] = found
    return filters.found[user.pk]


def portal_status_counts(user: User, filters: RequestFilters) -> dict[str, int]:
    """How many requests per status under the other filters (search, type, scope), in one
    query over the rule's parts, each counted from its index; statuses with none are absent.
    The list's total and its pages are computed from these (``portal_list_total``)."""
    if filters.search.active:
        return dict(Counter(status for status, *_rest in _found(user, filters).values()))
    return grouped_count_of_union(
        Request.objects.filter(_filter_q(user, filters, by_status=False)),
        _rule_parts(user), "status")


def portal_list_total(filters: RequestFilters, counts: dict[str, int]) -> int:
    """How many rows the list holds under ``filters``, from the counts per status."""
    return sum(counts.get(status, 0) for status in _statuses_kept(filters))


# What a row of the list shows (``templatetags.portal_list``), read as values: not the
# descriptions, which are most of a request's bytes, and no model instances (25 requests and
# their reporters cost more than their query).
_ROW_FIELDS = ("pk", "number", "title", "status", "confirmation_state", "request_type_id",
               "priority_id",
               "updated_at", "reporter_id", "reporter__first_name", "reporter__last_name",
               "reporter__username")


@dataclass(frozen=True, slots=True)
class PortalRow:
    """One request as a row of the customer's list shows it."""

    pk: int
    number: int
    title: str
    status: str
    confirmation_state: str
    request_type: Any
    priority: Any
    updated_at: datetime
    reporter_id: int
    reporter_name: str

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.number}"


def portal_request_rows(user: User, filters: RequestFilters, *, offset: int, limit: int
                        ) -> list[PortalRow]:
    """One page of the client's requests matching ``filters``, with what a row shows joined.

    Each part of the access rule gives its first ``offset + limit`` rows in the list's order
    (an index scan that stops there); the parts are merged here, each request once, and the
    page's rows are read by primary key: the cost follows the page, not the backlog. A
    search's rows are ordered from what it found (``_found``).
    """
    order = _order(filters)
    fields = [name.lstrip("-") for name in order]
    wanted = offset + limit
    keys: dict[int, tuple] = {}
    if filters.search.active:
        statuses = set(_statuses_kept(filters))
        keys = {pk: tuple(_FOUND_KEYS[name](found) for name in fields)
                for pk, found in _found(user, filters).items() if found[0] in statuses}
    else:
        heads = [part.order_by(*order).values_list("pk", *fields)[:wanted] for part in
                 _visible_parts(user, _filter_q(user, filters, by_status=True))]
        if len(heads) > 1 and connection.features.supports_slicing_ordering_in_compound:
            # One round trip: each part still read through its own index, in parentheses.
            heads = [heads[0].union(*heads[1:], all=True)]
        for head in heads:
            for pk, *values in head:
                keys[pk] = tuple(values)
    ranked = list(keys)
    # Stable sorts from the last key to the first: each key in its own direction.
    for index in reversed(range(len(order))):
        ranked.sort(key=lambda pk: keys[pk][index], reverse=order[index].startswith("-"))
    page = ranked[offset:wanted]
    if not page:
        return []
    found = {row[0]: row for row in
             Request.objects.filter(pk__in=page).values_list(*_ROW_FIELDS)}
    return [
        PortalRow(pk=pk, number=number, title=title, status=status,
                  confirmation_state=confirmation_state,
                  request_type=reference_row(RequestType, type_id),
                  priority=reference_row(Priority, priority_id), updated_at=updated_at,
                  reporter_id=reporter_id,
                  reporter_name=person_name_of(first_name, last_name, username))
        for pk, number, title, status, confirmation_state, type_id, priority_id, updated_at,
        reporter_id, first_name, last_name, username in (found[pk] for pk in page if pk in found)
    ]


class PortalRows:
    """The list as Django's paginator wants it: its length (from the counts) and slices
    (``portal_request_rows``)."""

    def __init__(self, user: User, filters: RequestFilters, total: int) -> None:
        self.user, self.filters, self.total = user, filters, total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[PortalRow]:
        start = window.start or 0
        stop = self.total if window.stop is None else window.stop
        return portal_request_rows(self.user, self.filters, offset=start,
                                   limit=max(stop - start, 0))


def request_type_list() -> QuerySet[RequestType]:
    """Every active type (a client may see a Licence opened for them): the type filter."""
    return RequestType.objects.filter(is_active=True).select_related("category")


def request_type_list_creatable_by(user: AnyUser) -> QuerySet[RequestType]:
    """The types this person may open themselves (never Licence for a client)."""
    types = request_type_list()
    if not permissions.is_back_office(user):
        types = types.filter(client_can_open=True)
    return types


def request_type_get_for_creation(user: AnyUser, code: str) -> RequestType:
    """The type of the new-request form; unknown → ``RequestNotFound``, not open to this
    person → ``PermissionDenied`` with the reason (the service refuses it the same way)."""
    request_type = request_type_list().filter(code=code).first()
    if request_type is None:
        raise RequestNotFound(_("Ce type de demande n'existe pas."))
    if not request_type.client_can_open and not permissions.may_create_licence(user):
        raise PermissionDenied(
            _("Une demande « %(type)s » ne peut pas être initiée par le client : "
              "l'administration des ventes l'effectue en votre nom.")
            % {"type": request_type.name}
        )
    return request_type


def request_get_for_follow_up(user: AnyUser, key: str) -> Request:
    """The closed request a follow-up refers to: visible to this person (404 otherwise) and
    closed (a follow-up of an open request makes no sense: comment on it instead)."""
    original = request_get_for_user(user, key)
    if not original.is_closed:
        raise InvalidInput(
            _("La demande %(key)s est encore ouverte : ajoutez un commentaire plutôt que "
              "d'ouvrir une demande de suivi.") % {"key": original.key},
            field="follows_up",
        )
    return original


# --- the request page ----------------------------------------------------------------------------

@dataclass
class TimelineEntry:
    """One line of the history as a page shows it: the event, whether its comment is shown
    here (a comment linked to two events is shown once), and the comment's attachments."""

    event: RequestEvent
    show_comment: bool = False
    attachments: list[Attachment] = field(default_factory=list)


def _awaits_an_answer(request: Request) -> bool:
    """Waiting for the client's answer to a question (not to a proposed resolution, nor
    once they confirmed one)."""
    return (request.status == RequestStatus.AWAITING_CUSTOMER
            and request.confirmation_state not in (ConfirmationState.REQUESTED,
                                                   ConfirmationState.CONFIRMED))


@dataclass
class RequestPage:
    request: Request
    timeline: list[TimelineEntry]
    attachments: list[Attachment]
    participants: list[Participant]
    follow_ups: list[Request]
    muted: bool
    is_reporter: bool
    is_participant: bool
    clocks: list = field(default_factory=list)
    pending_resolution: RequestEvent | None = None
    # Waiting for the client: the line whose public comment is what the vendor asked.
    awaited_question: RequestEvent | None = None
    # The history's window: the line it started before (None: the latest lines) and the
    # line to continue from when older ones remain.
    history_before: int | None = None
    history_older: int | None = None
    # The client's satisfaction with the resolution they confirmed, if given.
    satisfaction: SatisfactionRating | None = None

    @property
    def may_answer(self) -> bool:
        """Reporter or participant (not merely a colleague who sees a shared request): the
        people whose answer moves the request (DESIGN §3)."""
        return self.is_reporter or self.is_participant

    @property
    def confirmation_pending(self) -> bool:
        r = self.request
        return (r.status == RequestStatus.AWAITING_CUSTOMER
                and r.confirmation_state == ConfirmationState.REQUESTED)

    @property
    def reply_awaited(self) -> bool:
        """The vendor waits for this reader's answer to a question (not to a resolution):
        the page puts the question and the reply box first."""
        return self.may_answer and _awaits_an_answer(self.request)

    @property
    def confirmation_received(self) -> bool:
        r = self.request
        return (r.status == RequestStatus.AWAITING_CUSTOMER
                and r.confirmation_state == ConfirmationState.CONFIRMED)


# History lines whose comment is shown by another line of the same change.
_COMMENT_SHOWN_ELSEWHERE = {EventKind.CONFIRMATION_REQUESTED}


# How many history lines a request page shows; older ones come on demand ("afficher les plus
# anciennes"), so that a request with hundreds of comments opens as fast as any other.
HISTORY_PAGE = 30


def _history_window(user: AnyUser, request: Request, before: int | None
                    ) -> tuple[list[RequestEvent], int | None]:
    """The newest ``HISTORY_PAGE`` lines older than the line ``before`` (all lines without
    it), newest first, and the line to continue from when older ones remain. Their actors
    are the caller's to read, with the page's other people (``people_attach``)."""
    events = request_timeline(user, request).select_related(None).select_related("comment")
    if before is not None:
        cursor = RequestEvent.objects.filter(pk=before, request=request).values_list(
            "created_at", flat=True).first()
        if cursor is None:
            raise RequestNotFound(_("Cette page de l'historique n'existe pas."))
        events = events.filter(Q(created_at__lt=cursor) | Q(created_at=cursor, pk__lt=before))
    window = list(events[: HISTORY_PAGE + 1])
    older = window[HISTORY_PAGE - 1].pk if len(window) > HISTORY_PAGE else None
    return window[:HISTORY_PAGE], older


def timeline_entries(
    user: AnyUser, request: Request, attachments: list[Attachment],
    events: list[RequestEvent] | None = None,
) -> list[TimelineEntry]:
    """The history newest first (``request_timeline``, or the lines given: no internal line
    for a client), each comment once, its attachments beside it, and never an internal
    comment for a client even when a public line refers to it (a status change that carried
    an internal note)."""
    back_office = permissions.is_back_office(user)
    # Both looked up with an event's comment id, which may be None.
    by_comment: dict[int | None, list[Attachment]] = defaultdict(list)
    for attachment in attachments:
        if attachment.comment_id is not None:
            by_comment[attachment.comment_id].append(attachment)
    entries = []
    shown_comments: set[int | None] = set()
    # Oldest first, so that a comment is attached to the line that introduced it.
    if events is None:
        events = list(request_timeline(user, request))
    for event in reversed(events):
        comment = event.comment
        visible_comment = comment is not None and (back_office or not comment.is_internal)
        if event.kind == EventKind.ATTACHMENT_ADDED and event.comment_id in shown_comments:
            continue
        if event.kind in (EventKind.MUTED, EventKind.UNMUTED) and event.actor_id != user.pk:
            continue  # one's own mailbox settings are nobody else's business
        show = (
            visible_comment
            and event.comment_id not in shown_comments
            and event.kind not in _COMMENT_SHOWN_ELSEWHERE
        )
        if show:
            shown_comments.add(event.comment_id)
        entries.append(TimelineEntry(
            event=event, show_comment=show,
            attachments=by_comment.get(event.comment_id, []) if show else [],
        ))
    entries.reverse()
    return entries


def request_page_for_user(user: AnyUser, key: str, *, at: datetime,
                          before: int | None = None) -> RequestPage:
    """Everything the request page shows, in a number of queries that does not depend on the
    number of comments, attachments or people (``RequestNotFound`` when not visible): the
    latest ``HISTORY_PAGE`` history lines, or those older than the line ``before``."""
    request = request_get_for_user(user, key, for_page=True, with_people=False)
    # Without their joins: the people they name come with the request's, in one query.
    attachments = list(attachment_list_visible_to(user, request).select_related(None))
    participants = list(participant_list(request).select_related(None)
                        .order_by("created_at", "pk"))
    is_participant = any(p.user_id == user.pk for p in participants)
    follow_ups = list(
        request_list_visible_to(user).filter(follows_up=request).order_by("number")
        .only("pk", "number", "title", "status")
    ) if getattr(request, "has_follow_ups", True) else []
    window, older = _history_window(user, request, before)
    satisfaction = None
    # A client rates only a confirmed resolution; the back office also sees a rating left
    # behind when the request went back to work after the confirmation.
    if (request.confirmation_state == ConfirmationState.CONFIRMED
            or permissions.is_back_office(user)):
        satisfaction = SatisfactionRating.objects.filter(pk=request.pk).first()
    people_attach([
        *request_people(request),
        *((attachment, "uploaded_by") for attachment in attachments),
        *((participant, "user") for participant in participants),
        *((event, "actor") for event in window),
        *([(satisfaction, "rated_by"), (satisfaction, "agent")] if satisfaction else []),
    ])
    timeline = timeline_entries(user, request, attachments, window)
    pending = None
    if request.confirmation_state == ConfirmationState.REQUESTED:
        # The question may be further back than the lines shown: read on its own.
        pending = (request_timeline(user, request)
                   .filter(kind=EventKind.CONFIRMATION_REQUESTED, comment__isnull=False)
                   .first())
    question = awaited_question(user, request, window) if _awaits_an_answer(request) else None
    clocks: list = []
    if request.request_type.subject_to_slo:
        clocks = slo_display.clock_views_for([request.pk], at=at).get(request.pk, [])
    return RequestPage(
        request=request,
        timeline=timeline,
        attachments=attachments,
        participants=participants,
        follow_ups=follow_ups,
        muted=bool(getattr(request, "viewer_muted", False)),
        is_reporter=permissions.is_reporter(request, user),
        is_participant=is_participant,
        clocks=clocks,
        pending_resolution=pending,
        awaited_question=question,
        history_before=before,
        history_older=older,
        satisfaction=satisfaction,
    )


def _asks_the_client(event: RequestEvent) -> bool:
    """A line with a public comment of the vendor's: a question put with "Demander des
    informations", or a comment of the back office after it."""
    if event.comment_id is None or event.is_internal:
        return False
    return (event.kind == EventKind.STATUS_CHANGED
            or (event.kind == EventKind.COMMENTED
                and bool((event.payload or {}).get("by_back_office"))))


def awaited_question(user: AnyUser, request: Request,
                     window: list[RequestEvent] | None = None) -> RequestEvent | None:
    """What the vendor last asked the client (the latest public comment of the back office),
    from the history lines the page shows (``window``, newest first) when it is among them,
    else read on its own."""
    found = next((event for event in window or [] if _asks_the_client(event)), None)
    if found is not None:
        return found
    return (request_timeline(user, request)
            .filter(Q(kind=EventKind.STATUS_CHANGED)
                    | Q(kind=EventKind.COMMENTED, payload__by_back_office=True),
                    comment__isnull=False, comment__is_internal=False)
            .first())


def colleague_list_for_participation(request: Request,
                                     participants: list[Participant] | None = None
                                     ) -> QuerySet:
    """Active people of the request's organisation who are not yet involved: whom the
    reporter may add as participants. ``participants``: all of the request's, when the caller
    has them (the page), rather than a subquery."""
    involved: Any = (
        Participant.objects.filter(request=request).values("user_id") if participants is None
        else [participant.user_id for participant in participants]
    )
    return (
        User.objects.filter(profile__organisation_id=request.organisation_id, is_active=True)
        .exclude(pk=request.reporter_id)
        .exclude(pk__in=involved)
        .order_by("last_name", "first_name", "username")
    )


def participant_user_list(request: Request) -> QuerySet:
    """The people taking part in ``request`` (to remove one of them)."""
    return User.objects.filter(participations__request=request)


def clocks_for_requests(requests: list[PortalRow], *, at: datetime) -> dict[int, list]:
    """The SLO clocks of a page of requests, in one query (only types subject to the SLO)."""
    ids = [r.pk for r in requests if r.request_type.subject_to_slo]
    return slo_display.clock_views_for(ids, at=at) if ids else {}


__all__ = [
    "DEFAULT_SORT", "RELEVANCE_ORDER", "SCOPE_COLLEAGUES", "SCOPE_MINE", "SCOPE_PARTICIPATING",
    "SORTS",
    "STATE_CLOSED", "STATE_OPEN", "RequestFilters", "RequestPage", "TimelineEntry",
    "PortalRow", "PortalRows", "awaited_question", "clocks_for_requests",
    "colleague_list_for_participation",
    "participant_user_list", "portal_list_total", "portal_request_rows",
    "portal_status_counts", "request_get_for_follow_up",
    "request_page_for_user",
    "request_type_get_for_creation", "request_type_list", "request_type_list_creatable_by",
    "timeline_entries",
]
