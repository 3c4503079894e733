"""The agent queues (DESIGN §7): which requests each queue holds, their counts, filters and
order. Every read starts from ``request_list_visible_to``, the one access rule.

A queue is a filter over requests, never a stored list: a request shows under the queue its
status (and, for "À clôturer", its confirmation) puts it in, the moment that changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, Q, QuerySet
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from requests_app import permissions
from requests_app.models import KEY_PREFIX, Organisation, Priority, Request, RequestType
from requests_app.people import person_name_of
from requests_app.permissions import BACK_OFFICE_ROLES, Role
from requests_app.selectors.access import request_list_visible_to
from requests_app.selectors.counting import COUNT_CAP, BoundedCount, bounded_counts
from requests_app.selectors.mentions import (
    mention_latest_at,
    mention_list_unread,
    mentioned_requests_q,
)
from requests_app.selectors.reference import reference_row
from requests_app.selectors.search import Search
from requests_app.workflow import OPEN_STATUSES, ConfirmationState, RequestStatus

AnyUser = User | AnonymousUser
S = RequestStatus

RECENTLY_CLOSED_DAYS = 14


@dataclass(frozen=True)
class Queue:
    slug: str
    label: Any  # a lazy translation
    description: Any
    # (user, now) -> the filter of this queue; built per call since some depend on both.
    condition: Callable[[AnyUser, datetime], Q]
    # Roles for which this queue is "the next thing to do": listed first on their index.
    roles: frozenset[str] = frozenset()
    # The default order of the queue: nearest SLO due time first, except where it means
    # nothing (closed requests).
    default_sort: str = "slo"
    # Shown with a count in the navigation (the search-everything queue is not: counting the
    # whole history on every page is exactly what the counts query avoids).
    counted: bool = True
    # What the count counts when not the queue's requests: (user) -> the rows to count,
    # already within the access rule ("Mes mentions" counts the unread mentions), with the
    # words that follow the figure for a screen reader.
    count_of: Callable[[AnyUser], QuerySet] | None = None
    count_unit: Any = None  # a lazy translation; None: "demande(s)"


def _status(*statuses: str) -> Callable[[AnyUser, datetime], Q]:
    return lambda user, now: Q(status__in=statuses)


def _recently_closed(user: AnyUser, now: datetime) -> Q:
    # The (status, closed_at) index finds the few recent rows among all the closed ones.
    return Q(status=S.CLOSED, closed_at__gte=now - timedelta(days=RECENTLY_CLOSED_DAYS))


_CONFIRMED = Q(status=S.AWAITING_CUSTOMER, confirmation_state=ConfirmationState.CONFIRMED)

QUEUES: list[Queue] = [
    Queue(
        "a-qualifier", _("À qualifier"), _("Demandes envoyées, à qualifier (statut Ouvert)."),
        _status(S.OPEN), frozenset({Role.FRONTDESK}),
    ),
    Queue(
        "a-planifier", _("À planifier"),
        _("Demandes qualifiées, à prendre en charge ou à assigner (statut Qualifié)."),
        _status(S.QUALIFIED), frozenset({Role.DAILY, Role.SERVICEDESK}),
    ),
    Queue(
        "mes-demandes", _("En cours — les miennes"),
        _("Demandes en cours qui vous sont assignées."),
        lambda user, now: Q(status=S.IN_PROGRESS, assignee_id=user.pk),
        frozenset({Role.SERVICEDESK}),
    ),
    Queue(
        "en-cours", _("En cours — toutes"), _("Toutes les demandes en cours."),
        _status(S.IN_PROGRESS), frozenset({Role.DAILY}),
    ),
    Queue(
        "en-attente-triage", _("En attente triage"), _("Demandes escaladées à un expert."),
        _status(S.AWAITING_TRIAGE), frozenset({Role.EXPERT}),
    ),
    Queue(
        "en-attente-rnd", _("En attente R&D"),
        _("Demandes pour lesquelles une correction doit être développée."),
        _status(S.AWAITING_RND), frozenset({Role.RND}),
    ),
    Queue(
        "en-attente-client", _("En attente client"),
        _("Demandes qui attendent une réponse du client (SLO en pause)."),
        lambda user, now: Q(status=S.AWAITING_CUSTOMER) & ~_CONFIRMED,
    ),
    Queue(
        "a-cloturer", _("À clôturer"),
        _("Le client a confirmé la résolution : la personne assignée clôt la demande."),
        lambda user, now: _CONFIRMED, frozenset({Role.SERVICEDESK}),
    ),
    Queue(
        "slo-a-risque", _("SLO à risque ou dépassé"),
        _("Demandes ouvertes dont un délai SLO a passé son seuil d'alerte ou est dépassé."),
        lambda user, now: Q(status__in=OPEN_STATUSES, slo_warn_at__lte=now),
        frozenset({Role.DAILY}),
    ),
    Queue(
        "mes-mentions", _("Mes mentions"),
        _("Demandes dont une note interne vous mentionne, la mention la plus récente "
          "d'abord. Son nombre compte les mentions non lues ; ouvrir la demande les marque "
          "comme lues."),
        lambda user, now: mentioned_requests_q(user),
        # Everyone's own: a mention is addressed to the person, whatever their roles.
        BACK_OFFICE_ROLES, default_sort="mentioned",
        count_of=mention_list_unread, count_unit=_("mention(s) non lue(s)"),
    ),
    Queue(
        "toutes-ouvertes", _("Toutes les demandes ouvertes"),
        _("Toutes les demandes qui ne sont pas fermées."),
        _status(*OPEN_STATUSES),
    ),
    Queue(
        "fermees-recemment", _("Fermées récemment"),
        lazy(lambda: gettext("Demandes fermées ces %(days)d derniers jours.")
             % {"days": RECENTLY_CLOSED_DAYS}, str)(),
        _recently_closed, default_sort="closed",
    ),
    Queue(
        "toutes", _("Toutes les demandes"),
        _("Toutes les demandes, fermées comprises : pour rechercher."),
        lambda user, now: Q(), default_sort="newest", counted=False,
    ),
]
QUEUES_BY_SLUG = {queue.slug: queue for queue in QUEUES}

# The orders a person may choose in a queue; the first items break ties.
SORTS: dict[str, tuple[Any, list]] = {
    "slo": (_("Échéance SLO"),
            [F("slo_due_at").asc(nulls_last=True), "number"]),
    "priority": (_("Priorité"),
                 ["priority__rank", F("slo_due_at").asc(nulls_last=True), "number"]),
    "newest": (_("Plus récentes d'abord"), ["-number"]),
    "oldest": (_("Plus anciennes d'abord"), ["number"]),
    "updated": (_("Dernière modification"), ["-updated_at", "-number"]),
    "closed": (_("Fermeture la plus récente"), [F("closed_at").desc(nulls_last=True),
                                                "-number"]),
    "mentioned": (_("Mention la plus récente"), [F("mentioned_at").desc(nulls_last=True),
                                                 "-number"]),
}
# The orders only the queue whose default they are offers, with what they add to its rows
# (per person, per row: cheap over one person's few requests, not over a whole backlog).
QUEUE_OWN_SORTS: dict[str, Callable[[AnyUser], dict[str, Any]]] = {
    "mentioned": lambda user: {"mentioned_at": mention_latest_at(user)},
}


def queue_sorts(default_sort: str) -> dict[str, tuple[Any, list]]:
    """The orders a queue whose default is ``default_sort`` offers."""
    return {key: sort for key, sort in SORTS.items()
            if key not in QUEUE_OWN_SORTS or key == default_sort}


def queue_get(slug: str) -> Queue | None:
    return QUEUES_BY_SLUG.get(slug)


def queues_for_user(user: AnyUser) -> list[Queue]:
    """The queues, those that are this person's next thing to do first (stable otherwise)."""
    roles = permissions.roles_of(user)
    return sorted(QUEUES, key=lambda queue: not (queue.roles & roles))


def queue_counts(user: AnyUser, *, now: datetime) -> dict[str, BoundedCount]:
    """How many requests each counted queue holds, up to ``COUNT_CAP`` ("999+" past it), in
    ONE query: each queue's count reads at most a thousand entries of the index that serves
    its filter, so the navigation costs the same at a hundred or a million open requests."""
    visible = request_list_visible_to(user)
    return bounded_counts({
        queue.slug: queue.count_of(user) if queue.count_of is not None
        else visible.filter(queue.condition(user, now))
        for queue in QUEUES if queue.counted
    })


# A search without an order chosen ranks this many of its newest requests, best found first:
# as many as the list's pages can show (``BoundedPaginator``), whatever the number found.
RANKED_MAX = COUNT_CAP + 1


def _text_q(search: Search) -> Q:
    """The back office's search: every word in the key, title, description, comments,
    internal notes or R&D reference, or the whole text in the organisation's or the
    reporter's name. Each part is served by an index of its own."""
    named = search.named_q()
    return search.q() if named is None else search.q() | named


def queue_requests(
    user: AnyUser,
    queue: Queue,
    *,
    now: datetime,
    organisation: Any = None,
    priority: Any = None,
    request_type: Any = None,
    assignee: str = "",
    text: str | Search = "",
    sort: str = "",
) -> QuerySet[Request]:
    """The requests of ``queue`` this person may see, filtered and ordered, with everything a
    queue row shows joined in (a page of rows is one query whatever its length).

    ``assignee`` is a user id, ``"none"`` (unassigned) or ``"me"``; ``text`` the words
    searched for, or their ``Search`` already prepared (``Search.prepare_together``).
    """
    queryset = request_list_visible_to(user).filter(queue.condition(user, now))
    if organisation is not None:
        queryset = queryset.filter(organisation=organisation)
    if priority is not None:
        queryset = queryset.filter(priority=priority)
    if request_type is not None:
        queryset = queryset.filter(request_type=request_type)
    if assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee == "me":
        queryset = queryset.filter(assignee_id=user.pk)
    elif assignee:
        queryset = queryset.filter(assignee_id=int(assignee))
    search = text if isinstance(text, Search) else Search(text, internal=True)
    if search.active:
        queryset = queryset.filter(_text_q(search))
    if sort in SORTS or not search.active:
        key = sort if sort in queue_sorts(queue.default_sort) else queue.default_sort
        order = SORTS[key][1]
        if key in QUEUE_OWN_SORTS:
            queryset = queryset.annotate(**QUEUE_OWN_SORTS[key](user))
    else:
        # The best found first, among as many of the newest found as the pages can show.
        queryset = search.best_first(queryset, among=RANKED_MAX)
        order = [F("search_rank").desc(), "-number"]
    # Only what a row shows: each joined table multiplies PostgreSQL's planning time (seven
    # tables took it 18 ms, ten times the query's own run), and the long texts stay behind.
    # A page shows them through ``queue_rows`` (values), completed from the process's copy of
    # the reference data (``queue_rows_complete``).
    return queryset.select_related("assignee").defer(
        "description", "description_html", "details").order_by(*order)


# What a queue row shows, read as values: fifty model instances (and their assignees) cost
# more than the query that reads them.
_ROW_FIELDS = ("pk", "number", "title", "status", "confirmation_state", "updated_at",
               "request_type_id", "priority_id", "organisation_id", "assignee_id",
               "assignee__first_name", "assignee__last_name", "assignee__username")


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One request as a queue row shows it."""

    pk: int
    number: int
    title: str
    status: str
    confirmation_state: str
    updated_at: datetime
    request_type: Any
    priority: Any
    organisation: Any
    assignee_name: str  # "" when nobody is assigned

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.number}"


def queue_rows(requests: QuerySet[Request]) -> QuerySet:
    """``queue_requests`` as the rows of a page read it (values, to page and count)."""
    return requests.values(*_ROW_FIELDS)


def queue_rows_complete(rows: Iterable[dict[str, Any]]) -> list[QueueRow]:
    """A page of ``queue_rows`` with what the rows show besides their own columns, the
    reference rows from the process's copy."""
    return [
        QueueRow(
            pk=row["pk"], number=row["number"], title=row["title"], status=row["status"],
            confirmation_state=row["confirmation_state"], updated_at=row["updated_at"],
            request_type=reference_row(RequestType, row["request_type_id"]),
            priority=reference_row(Priority, row["priority_id"]),
            organisation=reference_row(Organisation, row["organisation_id"]),
            assignee_name=person_name_of(
                row["assignee__first_name"], row["assignee__last_name"],
                row["assignee__username"]) if row["assignee_id"] else "",
        )
        for row in rows
    ]


def requests_by_numbers(user: AnyUser, numbers: Iterable[int]) -> dict[int, Request]:
    """The requests with these numbers that this person may see, by number (bulk actions)."""
    return {
        request.number: request
        for request in request_list_visible_to(user)
        .filter(number__in=list(numbers))
        .select_related("request_type", "priority", "organisation")
    }
