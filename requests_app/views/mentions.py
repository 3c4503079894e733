"""The @-mentions of the agent request page: the colleagues its autocomplete offers (JSON,
static/js/mentions.js) and the read receipt of "Mes mentions" (POST)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from requests_app import permissions, selectors, services
from requests_app.exceptions import RequestNotFound
from requests_app.models import Request
from requests_app.selectors.mentions import TYPED_MAX, mention_suggestions
from requests_app.views.mixins import AuthenticatedHttpRequest, BackOfficeRequiredMixin


def _request_or_404(user: Any, key: str) -> Request:
    try:
        return selectors.request_get_for_user(user, key, with_people=False)
    except RequestNotFound as exc:
        raise Http404(exc.message) from exc


class MentionSuggestionsView(BackOfficeRequiredMixin, View):
    """GET /agent/requests/SPT-<n>/mentions/?q=<typed>: the colleagues an internal note of
    this person on this request may mention (``mention_suggestions``), as JSON:
    ``{"results": [{"username", "name", "roles"}]}``. Back office only (a client gets the
    403 of every back-office page); a request they do not see is a 404, one on which they
    write no internal note a 403."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin
    http_method_names = ["get"]

    def get(self, request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
        typed = request.GET.get("q", "")
        if len(typed) > TYPED_MAX:
            return JsonResponse({"error": _("Tapez au plus %(max)d caractères après « @ ».")
                                 % {"max": TYPED_MAX}}, status=400)
        request_obj = _request_or_404(request.user, key)
        if not permissions.may_write_internal_note(request_obj, request.user):
            return JsonResponse({"error": _("Vous n'écrivez pas de note interne sur cette "
                                            "demande.")}, status=403)
        results = [
            {"username": person.username, "name": person.name, "roles": list(person.roles)}
            for person in mention_suggestions(request.user, request_obj, typed)
        ]
        return JsonResponse({"results": results})


class MentionsReadView(BackOfficeRequiredMixin, View):
    """POST /agent/requests/SPT-<n>/mentions/read/: this person's mentions in the request are
    read. The request page posts it itself once open (mentions.js: 204), or its button does
    (back to the page, with a message)."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin
    http_method_names = ["post"]

    def post(self, request: AuthenticatedHttpRequest, key: str) -> HttpResponse:
        request_obj = _request_or_404(request.user, key)
        services.mentions_mark_read(actor=request.user, request=request_obj)
        if request.headers.get("X-Requested-With") == "fetch":
            return HttpResponse(status=204)
        messages.success(request, _("Mentions marquées comme lues."))
        return HttpResponseRedirect(reverse("agent:request", args=[request_obj.key]))
