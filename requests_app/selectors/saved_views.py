"""Reading saved views: those a person may see (``access.saved_view_visible_q``) and how many
requests each holds for them.

Both reads cost one query each, whatever the number of views or of requests: the list is one
indexed read, and the counts are the navigation's own (``counting.bounded_counts``), one
scalar subquery per view, each stopping at ``COUNT_CAP`` rows, over the requests the reader
may see (never its owner's), filtered by the queue's own selector.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, IntegerField, Value, When

from requests_app.exceptions import SavedViewNotFound
from requests_app.models import SavedView
from requests_app.selectors.access import saved_view_visible_q
from requests_app.selectors.counting import BoundedCount, bounded_counts
from requests_app.selectors.queues import Queue, queue_requests
from requests_app.selectors.search import Search

AnyUser = User | AnonymousUser

# The most views the sidebar lists (and counts): a person's own (at most
# ``services.saved_views.SAVED_VIEWS_MAX``) first, then those shared with their roles.
SAVED_VIEWS_SHOWN = 40


def saved_views_for_user(user: AnyUser) -> list[SavedView]:
    """The views ``user`` may see, their own first, each group by name; one query."""
    if user.pk is None:
        return []
    own_first = Case(When(owner_id=user.pk, then=Value(0)), default=Value(1),
                     output_field=IntegerField())
    return list(
        SavedView.objects.filter(saved_view_visible_q(user))
        .select_related("owner")
        .only("pk", "name", "queue", "filters", "shared_role", "owner_id",
              "owner__first_name", "owner__last_name", "owner__username")
        .order_by(own_first, "name", "pk")[:SAVED_VIEWS_SHOWN]
    )


def saved_view_get_for_user(user: AnyUser, pk: int) -> SavedView:
    """The view ``pk`` if ``user`` may see it; ``SavedViewNotFound`` otherwise."""
    found = SavedView.objects.filter(saved_view_visible_q(user), pk=pk).first()
    if found is None:
        raise SavedViewNotFound()
    return found


def saved_view_counts(
    user: AnyUser, views: Mapping[Any, tuple[Queue, dict[str, Any]]], *, now: datetime,
) -> dict[Any, BoundedCount]:
    """{key: how many requests the view holds for ``user``} for each ``(queue, filters)``
    (the keyword arguments of ``queue_requests``, as the queue page passes them), in ONE
    query that counts each as the queue page counts its rows; none without views."""
    keys = list(views)
    # What each view searches for, prepared in one query for them all (on PostgreSQL a
    # search reads the words its last word begins).
    searches = [Search(filters.get("text", ""), internal=True, prepare=False)
                for _queue, filters in views.values()]
    Search.prepare_together(searches)
    counts = bounded_counts({
        # The subqueries' aliases: plain words, whatever the keys. The requests, not their
        # rows' values: without the assignee's join an index alone can answer a count.
        f"view_{index}": queue_requests(user, queue, now=now, **{**filters, "text": search})
        for index, ((queue, filters), search) in enumerate(zip(views.values(), searches,
                                                              strict=True))
    })
    return {key: counts[f"view_{index}"] for index, key in enumerate(keys)}
