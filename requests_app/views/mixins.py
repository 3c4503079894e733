"""Role gates for the three audiences and the one way domain errors reach people."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy

from portal.errors import SptError
from requests_app import permissions, services, two_factor
from requests_app.exceptions import InvalidInput, RequestNotFound
from requests_app.floods import FLOOD_MESSAGES, FLOOD_RETRY_AFTER, flood_exceeded
from requests_app.forms.portal import KeepsAttachmentsMixin


class AuthenticatedHttpRequest(HttpRequest):
    """The type of a request to a page that requires login (the mixins below,
    ``@login_required``): its user is signed in, never ``AnonymousUser``. For annotations
    only; Django builds the requests.

    The mixins themselves keep Django's ``request: HttpRequest`` (the type checker wants the
    bases of a view to agree on it); a view behind one of them may narrow it to this type."""

    user: User


class VerifiedLoginRequiredMixin(LoginRequiredMixin):
    """Signed in, and past the second factor when one is due (``requests_app.two_factor``):
    the middleware already sends such people to the code or the enrolment page; the role
    gates below say it again, so that no back-office view depends on the middleware's list
    of open pages."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            pending = two_factor.second_factor_redirect(request)
            if pending is not None:
                return pending
        return super().dispatch(request, *args, **kwargs)


class ClientRequiredMixin(VerifiedLoginRequiredMixin, UserPassesTestMixin):
    """Customer pages: a client of an organisation."""

    request: HttpRequest
    raise_exception = False

    def test_func(self) -> bool:
        return permissions.is_client(self.request.user)


class BackOfficeRequiredMixin(VerifiedLoginRequiredMixin, UserPassesTestMixin):
    """Back-office pages: agents, sales administration, administrators."""

    request: HttpRequest

    def test_func(self) -> bool:
        return permissions.is_back_office(self.request.user)


class AgentRequiredMixin(VerifiedLoginRequiredMixin, UserPassesTestMixin):
    request: HttpRequest

    def test_func(self) -> bool:
        return permissions.is_agent(self.request.user)


class SalesAdminRequiredMixin(VerifiedLoginRequiredMixin, UserPassesTestMixin):
    request: HttpRequest

    def test_func(self) -> bool:
        return permissions.is_sales_admin(self.request.user)


def flood_refusal(request: HttpRequest, kind: str) -> HttpResponse | None:
    """A 429 page when this person posted more ``kind`` ("comment", "request") than
    ``settings.FLOOD_RATES`` allows (``floods.flood_exceeded``); None otherwise (and the post
    is counted)."""
    if not flood_exceeded(request, kind):
        return None
    response = render(request, "partials/error_page.html",
                      {"error": {"message": FLOOD_MESSAGES[kind]}}, status=429)
    response["Retry-After"] = str(FLOOD_RETRY_AFTER)
    return response


def refusal_on_form(error: SptError, form: forms.Form | None) -> bool:
    """The one way a service's refusal reaches people, on every page of every audience:

    * a request (or attachment) the person may not see is a plain 404 — raised here, the
      same words whatever the reason;
    * input that breaks a rule goes on the form, on the field it names: True;
    * anything else (closed, changed meanwhile, a role) is for the caller to show as a
      message on the page as it is now: False.
    """
    if isinstance(error, RequestNotFound):
        raise Http404(error.message)
    if form is None or not isinstance(error, InvalidInput):
        return False
    form.add_error(error.field if error.field in form.fields else None, error.message)
    return True


def uploads_keep(request: HttpRequest, form: forms.Form | None) -> None:
    """A form going back to its sender with an error keeps the files they had chosen: each
    acceptable one is kept for them (``services.pending_uploads_keep``) and listed on the
    form, to be attached when it is sent again."""
    if not isinstance(form, KeepsAttachmentsMixin) or not request.user.is_authenticated:
        return
    files, kept = form.uploads_to_keep()
    if files or kept:
        kept = services.pending_uploads_keep(owner=request.user, files=files, kept=kept)
    form.attachments_kept(kept)


HISTORY_FRAGMENT = "partials/request_timeline.html"


def history_before(request: HttpRequest) -> int | None:
    """The ``before`` of a request page's URL: the history line its window starts before
    ("afficher les plus anciennes"); anything but a line number is a page that does not
    exist."""
    value = request.GET.get("before", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        raise Http404(gettext_lazy("Cette page de l'historique n'existe pas."))
    return int(value)


def htmx_target(request: HttpRequest) -> str:
    """The id of the element an htmx request replaces with the answer: the caller then renders
    only that part. "" for a whole page: without htmx, or when htmx restores a page of its
    history, which needs all of it."""
    if (not request.headers.get("HX-Request")
            or request.headers.get("HX-History-Restore-Request")):
        return ""
    return request.headers.get("HX-Target", "")


def varies_with_htmx(response: HttpResponse) -> HttpResponse:
    """A URL that answers a part of its page to htmx and the whole page otherwise: a cache
    (the browser's, for the back button) must keep them apart."""
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def history_fragment(request: HttpRequest, page: Any) -> HttpResponse | None:
    """Only the older history lines, for the "afficher les plus anciennes" button (htmx);
    None for a whole page."""
    if page.history_before is None or not request.headers.get("HX-Request"):
        return None
    return render(request, HISTORY_FRAGMENT, {
        "entries": page.timeline, "viewer": request.user, "older": page.history_older,
        "history_url": request.path,
    })
