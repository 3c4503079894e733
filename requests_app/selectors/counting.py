"""Counts that stay cheap at any volume: the lists' figures never scan a whole backlog.

Two shapes:

- ``grouped_count_of_union``: how many rows per value of a column meet any of several
  conditions (the parts of the access rule), each part counted from its own index, every
  row once however many parts it belongs to;
- ``bounded_counts``: how many rows each of several querysets holds, up to a cap, in one
  query: each count stops reading at ``cap + 1`` rows, so the navigation's figures cost the
  same with a hundred or a million open requests. Past the cap, a figure reads "999+".
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import cached_property, reduce
from typing import cast

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Q, QuerySet, Value
from django.utils.formats import number_format

# How far a navigation or list figure counts before it says "more than".
COUNT_CAP = 999


@dataclass(frozen=True, eq=False)
class BoundedCount:
    """A count that stopped at ``cap``: exact below it, "999+" past it."""

    value: int
    cap: int = COUNT_CAP

    @property
    def capped(self) -> bool:
        return self.value > self.cap

    def __int__(self) -> int:
        return min(self.value, self.cap + 1)

    def __bool__(self) -> bool:
        return self.value > 0

    def __eq__(self, other: object) -> bool:
        # Equal to a number only when exact: "999+" is no number in particular.
        if isinstance(other, BoundedCount):
            return (self.value, self.cap) == (other.value, other.cap)
        if isinstance(other, int):
            return not self.capped and self.value == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value, self.cap))

    def __str__(self) -> str:
        if self.capped:
            return f"{number_format(self.cap, force_grouping=True)}+"
        return number_format(self.value, force_grouping=True)


def _sql(queryset: QuerySet) -> tuple[str, tuple] | None:
    """The queryset's SQL, or None when it can hold no row (``.none()``, ``pk__in=[]``)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, tuple(params)


def grouped_count_of_union(rows: QuerySet, parts: list[Q], column: str) -> dict[str, int]:
    """{value of ``column``: rows} among ``rows`` that meet any of ``parts``, each row once.

    Each part is counted apart, without the rows of the parts before it (``part AND NOT
    earlier``), and the counts added up: no row is ever collected to be deduplicated, so
    every part is counted from its own index."""
    selects: list[str] = []
    params: list = []
    for index, part in enumerate(parts):
        disjoint = rows.filter(part)
        if index:
            disjoint = disjoint.exclude(reduce(operator.or_, parts[:index]))
        compiled = _sql(disjoint.order_by().values(column).annotate(n=Count("pk")))
        if compiled is not None:
            selects.append(compiled[0])
            params.extend(compiled[1])
    if not selects:
        return {}
    quoted = connection.ops.quote_name(column)
    statement = (f"SELECT {quoted}, SUM(n) FROM ({' UNION ALL '.join(selects)}) AS parts "
                 f"GROUP BY {quoted}")
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return {value: int(count) for value, count in cursor.fetchall()}


def bounded_counts(querysets: dict[str, QuerySet], cap: int = COUNT_CAP
                   ) -> dict[str, BoundedCount]:
    """{name: BoundedCount} for each queryset, in one query of one scalar subquery each."""
    if not querysets:
        return {}
    columns: list[str] = []
    params: list = []
    for name, queryset in querysets.items():
        # A constant, not the key: PostgreSQL can then count from the index alone.
        compiled = _sql(queryset.order_by().annotate(one=Value(1)).values("one")[: cap + 1])
        if compiled is None:
            columns.append("0")
            continue
        columns.append(f"(SELECT COUNT(*) FROM ({compiled[0]}) AS "
                       f"{connection.ops.quote_name(name)})")
        params.extend(compiled[1])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)}", params)
        row = cursor.fetchone()
    return {name: BoundedCount(value, cap) for name, value in zip(querysets, row, strict=True)}


class BoundedPaginator(Paginator):
    """Django's paginator over a queryset whose count stops at ``COUNT_CAP``: the pages go
    up to the cap (filters narrow a longer list), and ``count_shown`` reads "999+"."""

    @cached_property
    def bounded(self) -> BoundedCount:
        return bounded_counts({"rows": cast(QuerySet, self.object_list)})["rows"]

    @cached_property
    def count(self) -> int:
        return min(self.bounded.value, self.bounded.cap)

    @property
    def count_shown(self) -> str:
        return str(self.bounded)
