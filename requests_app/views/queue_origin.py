"""The queue a request page was opened from, carried on its links as ``?from=<queue page>``:
the way back to the queue, "Demande suivante" after an action (the next request of that
queue with the same filters and sort), and the links to the requests just before and after
it there (j / k on the request page).

``from`` is input like any other: only a path of this site that is a queue page is kept
(never another site, never another page), so it can never become an open redirect; anything
else is as if it were not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, QueryDict
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from requests_app.forms.agent import QueueFilterForm
from requests_app.models import KEY_PREFIX, Request
from requests_app.selectors import parse_request_key, queues
from requests_app.selectors.queue_next import (
    QueueNeighbours,
    QueuePosition,
    queue_neighbours_of,
    queue_position_of,
    queue_request_after,
)

FROM_PARAMETER = "from"
# The request "Demande suivante" opens, put in the address of the page an action leads to.
NEXT_PARAMETER = "suivante"
# Longer than any queue address the filters make (a search is at most 100 characters).
FROM_MAX_LENGTH = 1000


@dataclass(frozen=True)
class QueueOrigin:
    queue: queues.Queue
    path: str
    query: str

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def parameter(self) -> str:
        """``from=…``, to put in a link's query."""
        return urlencode({FROM_PARAMETER: self.url})

    def requests(self, user: Any, *, now: datetime) -> Any:
        """The queue's requests as its page lists them: its filters (those the page would
        ignore, ignored alike) and its order."""
        form = QueueFilterForm(QueryDict(self.query) or None,
                               default_sort=self.queue.default_sort)
        return queues.queue_requests(user, self.queue, now=now, **form.filters())


def queue_origin_parse(value: str) -> QueueOrigin | None:
    """The queue page ``value`` names, if it is a path of this site's queues; else None."""
    if (not value or len(value) > FROM_MAX_LENGTH or not value.isascii()
            or not value.startswith("/") or value.startswith("//") or "\\" in value
            or not url_has_allowed_host_and_scheme(value, allowed_hosts=None)):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.fragment:
        return None
    prefix = get_script_prefix()  # "/" unless the site is served under a path
    if not parts.path.startswith(prefix):
        return None
    try:
        match = resolve("/" + parts.path[len(prefix):])
    except Resolver404:
        return None
    if match.view_name != "agent:queue":
        return None
    queue = queues.queue_get(match.kwargs.get("queue", ""))
    if queue is None:
        return None
    return QueueOrigin(queue=queue, path=parts.path, query=parts.query)


def queue_origin_of(request: HttpRequest) -> QueueOrigin | None:
    """The queue the address's ``from`` names (a GET's, or the address a form posted to)."""
    return queue_origin_parse(request.GET.get(FROM_PARAMETER, ""))


def queue_origin_here(queue: queues.Queue, request: HttpRequest) -> QueueOrigin:
    """The queue page being drawn, as its rows' links carry it: its address as the browser
    shows it (a search typed puts its words there), or the bare queue for a page a form
    posted to."""
    path = request.path if request.method == "GET" else ""
    query = request.META.get("QUERY_STRING", "") if path else ""
    origin = queue_origin_parse(f"{path}?{query}" if query else path)
    if origin is None or origin.queue.slug != queue.slug:
        origin = QueueOrigin(queue=queue, path=reverse("agent:queue", args=[queue.slug]),
                             query="")
    return origin


def next_request_key(request: HttpRequest) -> str | None:
    """The request "Demande suivante" offers on this page (``suivante=SPT-<n>``), if any."""
    value = request.GET.get(NEXT_PARAMETER, "")
    number = parse_request_key(value) if value else None
    return None if number is None else f"{KEY_PREFIX}{number}"


@dataclass(frozen=True)
class QueueFollowing:
    """A request's place in the queue it was opened from, taken before an action."""

    origin: QueueOrigin
    requests: Any
    position: QueuePosition | None

    def next_key(self) -> str | None:
        if self.position is None:
            return None
        return queue_request_after(self.requests, self.position)


def queue_following(origin: QueueOrigin | None, user: Any, request_obj: Request, *,
                    now: datetime) -> QueueFollowing | None:
    if origin is None:
        return None
    requests = origin.requests(user, now=now)
    return QueueFollowing(origin, requests, queue_position_of(requests, request_obj))


def queue_neighbours(origin: QueueOrigin | None, user: Any, request_obj: Request, *,
                     now: datetime) -> QueueNeighbours | None:
    """The requests just before and after this one in the queue it was opened from, as it
    stands now (j / k on its page); None without a queue, or when its place cannot be told
    (a key the queue computes, and the request is no longer in it). At most two queries:
    the place, only for such a key, and both neighbours together."""
    if origin is None:
        return None
    requests = origin.requests(user, now=now)
    position = queue_position_of(requests, request_obj)
    return None if position is None else queue_neighbours_of(requests, position)


def request_page_query(origin: QueueOrigin | None, next_key: str | None = None) -> str:
    """The query of a request page's address that keeps its queue (and names the next
    request): ``?from=…&suivante=SPT-n``, or ""."""
    if origin is None:
        return ""
    params = {FROM_PARAMETER: origin.url}
    if next_key:
        params[NEXT_PARAMETER] = next_key
    return f"?{urlencode(params)}"
