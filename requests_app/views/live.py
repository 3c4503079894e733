"""The back office's live parts: conditional answers for the fragments its pages ask for again
while they stay open (``static/js/agent_live.js``), and the request page's "modified
meanwhile" warning.

A fragment's ETag is derived from ``selectors.live.live_version`` (one indexed query) and
what else decides its content (the person, their language, the address with its filters):
asked with the ETag it was last drawn with, an unchanged fragment is a 304 and nothing else
is read.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View

from requests_app.exceptions import RequestNotFound
from requests_app.selectors import live
from requests_app.views.mixins import AuthenticatedHttpRequest, BackOfficeRequiredMixin
from requests_app.views.queue_origin import queue_origin_of, request_page_query

# How often an open back-office page asks whether what it shows changed (seconds), while
# its tab is visible. The template hands it to the script (``data-live-seconds``).
LIVE_POLL_SECONDS = 20


def live_etag(request: HttpRequest, kind: str, version: int, *extra: Any) -> str:
    """A weak ETag for fragment ``kind`` drawn at ``version`` for this person and address.
    Keyed with the secret: it says nothing of the version it was made from."""
    parts = (kind, request.user.pk, get_language(), request.get_full_path(), version, extra)
    digest = salted_hmac("spt.live", repr(parts)).hexdigest()[:24]
    return f'W/"{kind}-{digest}"'


def not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    """A 304 when the request's ``If-None-Match`` names ``etag``; None otherwise."""
    response = get_conditional_response(request, etag=etag)
    if response is None:
        return None
    response["ETag"] = etag
    return response


def _event_id(value: str) -> int | None:
    if not value or not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


class RequestChangesView(BackOfficeRequiredMixin, View):
    """GET /agent/requests/SPT-<n>/changes/?since=<history line>: whether someone else
    changed the request since its page was drawn (the newest history line it showed). 204
    when nobody did; else the warning the page shows above its actions. A request the person
    may not see is a 404, as its page."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin

    def get(self, request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
        since = _event_id(request.GET.get("since", ""))
        if since is None:
            return render(request, "partials/error_page.html", {"error": {"message": _(
                "Paramètre « since » manquant ou invalide : un numéro de ligne d'historique "
                "est attendu.")}}, status=400)
        try:
            change = live.request_change_since(request.user, key, since=since)
        except RequestNotFound as exc:
            raise Http404(exc.message) from exc
        if change is None:
            return HttpResponse(status=204)
        return render(request, "agent/requests/stale_notice.html", {
            "change": change,
            "same_day": timezone.localdate(change.at) == timezone.localdate(),
            "reload_url": reverse("agent:request", args=[key])
            + request_page_query(queue_origin_of(request)),
        })
