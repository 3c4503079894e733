"""What the back office's pages ask while they stay open: has anything they show changed since
they were drawn? Each answer is one small indexed query, so that a page asking every few
seconds costs almost nothing while nothing changes.

- ``live_version``: the newest history line among the requests a person may see. Every change
  of a request writes one (``events.py``), so a queue or the navigation's counts drawn at
  version *v* still hold while the version is *v*.
- ``request_version``: the same for one request, rendered into its page.
- ``request_change_since``: the latest change of one request by someone else after the
  version its page was drawn with (the "modified meanwhile" warning).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Max

from requests_app import permissions
from requests_app.exceptions import RequestNotFound
from requests_app.models import EventKind, Request, RequestEvent
from requests_app.selectors.access import (
    AnyUser,
    parse_request_key,
    request_list_visible_to,
    request_timeline,
    request_visible_parts,
)

# How many of the newest history lines the version of a person who sees only part of the
# requests reads: a bound on the query whatever the size of the history. A person whose
# requests had no change among them gets version 0 until one of theirs changes.
LIVE_WINDOW = 1000

# History lines that change nothing an agent acts on: one person's mailbox setting, the
# clocks' own crossings (the page draws the clocks from the time), a reminder e-mail.
NOT_CHANGES = frozenset({
    EventKind.MUTED, EventKind.UNMUTED, EventKind.SLO_WARNING, EventKind.SLO_BREACHED,
    EventKind.SLO_BREACH_LIFTED, EventKind.CUSTOMER_REMINDED,
})


def live_version(user: AnyUser) -> int:
    """The id of the newest history line among the requests ``user`` may see (0: none).

    Agents and administrators see every request: the table's largest id, read from the end
    of its primary key. Anyone else: the largest among the newest ``LIVE_WINDOW`` lines that
    are on a request they see, so that a change they may not see never moves their version.
    """
    parts = request_visible_parts(user)
    if parts is not None and not parts:
        return 0
    events = RequestEvent.objects.order_by()
    if parts is not None:
        newest = RequestEvent.objects.order_by("-pk").values("pk")[:LIVE_WINDOW]
        events = events.filter(
            pk__in=newest, request_id__in=request_list_visible_to(user).values("pk"))
    return events.aggregate(version=Max("pk"))["version"] or 0


def request_version(user: AnyUser, request: Request) -> int:
    """The id of the newest history line of ``request`` that ``user`` may see (0: none)."""
    return (request_timeline(user, request).order_by()
            .aggregate(version=Max("pk"))["version"] or 0)


@dataclass(frozen=True)
class RequestChange:
    """The latest change of a request by someone else: who (None: the portal itself), when,
    its history line, and the status it moved the request to (when it did)."""

    event_id: int
    actor: Any
    at: datetime
    to_status: str


def request_change_since(user: AnyUser, key: str, *, since: int) -> RequestChange | None:
    """The latest change of the request ``key`` after the history line ``since`` made by
    anyone but ``user``, among the lines they may see; None when there is none.

    ``RequestNotFound`` when they may not see the request, before anything else is read."""
    number = parse_request_key(key)
    if number is None:
        raise RequestNotFound()
    # Its status too: the workflow mixin reads it as the row loads (a query of its own else).
    request = next(iter(request_list_visible_to(user).filter(number=number)
                        .only("pk", "number", "status", "created_by_id")[:1]), None)
    if request is None:
        raise RequestNotFound()
    events = RequestEvent.objects.filter(request_id=request.pk, pk__gt=since).exclude(
        kind__in=NOT_CHANGES)
    if user.pk is not None:
        # NULL actors (the portal's own changes) stay: Django excludes only this person.
        events = events.exclude(actor_id=user.pk)
    if not permissions.sees_internal(request, user):
        events = events.filter(is_internal=False)
    latest = events.select_related("actor").order_by("-pk").first()
    if latest is None:
        return None
    return RequestChange(event_id=latest.pk, actor=latest.actor, at=latest.created_at,
                         to_status=latest.to_status)
