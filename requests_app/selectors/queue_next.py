""""Demande suivante": the request that comes after one in a queue, as the queue's page orders
it (its filters and its sort), found by its position rather than by reading the queue.

The position is the request's values of the queue's sort keys, taken before the action that
may move it (a transition often takes it out of the queue, or changes its SLO due time); the
next request is then the first one strictly after that position (keyset). The order is read
from the queue's own queryset (``queue_requests``), so it cannot drift from the page's.

The request page of a request opened from a queue also links its neighbours there (j / k):
the one before is the mirror, the last one strictly before the position (the order reversed).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import F, OrderBy, Q, QuerySet, Subquery

from requests_app.models import KEY_PREFIX, Request

# The column every queue order ends with: unique, so that "after" is never ambiguous.
_TIE_BREAK = "number"


@dataclass(frozen=True)
class SortKey:
    """One sort key of a queue and the value a request has for it."""

    field: str
    descending: bool
    # Where rows without a value come: "last", "first", or "" when the column has none.
    nulls: str
    value: Any


@dataclass(frozen=True)
class QueuePosition:
    pk: int
    keys: tuple[SortKey, ...]


def _order_of(requests: QuerySet[Request]) -> list[tuple[str, bool, str]] | None:
    """The queryset's order as (field, descending, nulls); None when it is not one this
    module can follow (an expression, or not ending with the unique number)."""
    order: list[tuple[str, bool, str]] = []
    for item in requests.query.order_by:
        if isinstance(item, str):
            order.append((item.lstrip("-"), item.startswith("-"), ""))
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            nulls = "last" if item.nulls_last else "first" if item.nulls_first else ""
            order.append((item.expression.name, item.descending, nulls))
        else:
            return None
    if not order or order[-1][0] != _TIE_BREAK:
        return None
    return order


def _attribute(request: Request, path: str) -> Any:
    value: Any = request
    for part in path.split("__"):
        value = getattr(value, part, None) if value is not None else None
    return value


def queue_position_of(requests: QuerySet[Request], request: Request) -> QueuePosition | None:
    """Where ``request`` stands in ``requests`` (a queue's ordered queryset), from its values
    now: call it before an action changes them. A key computed by the queue (a search's
    rank, the latest mention) is read from the queue, one query; None when the request is
    not in it then, or the order is not one of the queues'."""
    order = _order_of(requests)
    if order is None:
        return None
    computed = [name for name, _desc, _nulls in order if name in requests.query.annotations]
    values: dict[str, Any] = {}
    if computed:
        row = requests.filter(pk=request.pk).values(*computed).first()
        if row is None:
            return None
        values.update(row)
    keys = tuple(
        SortKey(name, descending, nulls,
                values[name] if name in values else _attribute(request, name))
        for name, descending, nulls in order
    )
    return QueuePosition(pk=request.pk, keys=keys)


def _equal(key: SortKey) -> Q:
    if key.value is None:
        return Q(**{f"{key.field}__isnull": True})
    return Q(**{key.field: key.value})


def _after(key: SortKey) -> Q:
    """The rows strictly after ``key.value`` on this key alone."""
    nothing = Q(pk__in=[])
    if key.value is None:
        # Rows without a value come last (none after them on this key) or first (all the
        # others after them); a column that has no NULL (nulls "") never gets here.
        return Q(**{f"{key.field}__isnull": False}) if key.nulls == "first" else nothing
    after = Q(**{f"{key.field}__{'lt' if key.descending else 'gt'}": key.value})
    if key.nulls == "last":
        after |= Q(**{f"{key.field}__isnull": True})
    return after


def _before(key: SortKey) -> Q:
    """The rows strictly before ``key.value`` on this key alone (``_after``'s mirror)."""
    nothing = Q(pk__in=[])
    if key.value is None:
        # Rows without a value come first (none before them on this key) or last (all the
        # others before them); a column that has no NULL (nulls "") never gets here, and is
        # taken as "last" as in ``_after``.
        return nothing if key.nulls == "first" else Q(**{f"{key.field}__isnull": False})
    before = Q(**{f"{key.field}__{'gt' if key.descending else 'lt'}": key.value})
    if key.nulls == "first":
        before |= Q(**{f"{key.field}__isnull": True})
    return before


def _beyond(requests: QuerySet[Request], position: QueuePosition,
            side: Callable[[SortKey], Q]) -> QuerySet[Request]:
    """The requests on one side of ``position``: equal on the first keys, then strictly on
    that side of the next one (keyset), for each key in turn."""
    keys = position.keys
    branches = [
        reduce(operator.and_, [_equal(k) for k in keys[:index]], side(keys[index]))
        for index in range(len(keys))
    ]
    return requests.filter(reduce(operator.or_, branches)).exclude(pk=position.pk)


def _following(requests: QuerySet[Request], position: QueuePosition) -> QuerySet[Request]:
    """After ``position``, nearest first (the queue's order)."""
    return _beyond(requests, position, _after)


def _preceding(requests: QuerySet[Request], position: QueuePosition) -> QuerySet[Request]:
    """Before ``position``, nearest first: the queue's order reversed, by Django, which
    turns NULLS LAST into NULLS FIRST along with the direction."""
    return _beyond(requests, position, _before).reverse()


def _key(number: int | None) -> str | None:
    return None if number is None else f"{KEY_PREFIX}{number}"


def _nearest_key(requests: QuerySet[Request]) -> str | None:
    return _key(next(iter(requests.values_list("number", flat=True)[:1]), None))


def queue_request_after(requests: QuerySet[Request], position: QueuePosition) -> str | None:
    """The key (``SPT-<n>``) of the first request of ``requests`` after ``position``, or None
    at the end of the queue. One query, ``LIMIT 1`` in the queue's order."""
    return _nearest_key(_following(requests, position))


def queue_request_before(requests: QuerySet[Request], position: QueuePosition) -> str | None:
    """The key of the last request of ``requests`` before ``position``, or None at the start
    of the queue. One query, ``LIMIT 1`` in the queue's order reversed."""
    return _nearest_key(_preceding(requests, position))


@dataclass(frozen=True)
class QueueNeighbours:
    """The keys of the requests just before and just after a position (None at an end)."""

    before: str | None
    after: str | None


def queue_neighbours_of(requests: QuerySet[Request],
                        position: QueuePosition) -> QueueNeighbours:
    """``queue_request_before`` and ``queue_request_after`` together, in ONE query (the
    request page asks both on every view): each is a ``LIMIT 1`` subquery, read beside the
    request's own row."""
    row = next(iter(
        Request.objects.filter(pk=position.pk).annotate(
            before_number=Subquery(_preceding(requests, position).values("number")[:1]),
            after_number=Subquery(_following(requests, position).values("number")[:1]),
        ).values_list("before_number", "after_number")[:1]
    ), (None, None))
    return QueueNeighbours(before=_key(row[0]), after=_key(row[1]))
