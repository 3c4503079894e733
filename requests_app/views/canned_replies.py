"""Canned replies ("réponses types") in the back office.

* /agent/canned-replies/: the replies one sees (shared and one's own), searched as one types
  (htmx), with create, edit and delete for those one may write (``services.canned_replies``
  says who);
* /agent/requests/SPT-<n>/canned-replies/: the insert control's list for that request
  (htmx fragment), and ``…/<id>/``, one reply filled for that request and this agent (JSON,
  fetched by ``static/js/canned_replies.js``). A request or a reply the person may not see is
  a 404, in the same words whatever the reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from portal.errors import SptError
from requests_app import permissions
from requests_app.canned_replies import PLACEHOLDERS, CannedReplyTexts, language_name
from requests_app.exceptions import (
    CannedReplyNotFound,
    InvalidInput,
    PermissionDenied,
    RequestNotFound,
    StaleRequest,
)
from requests_app.forms.canned_replies import (
    CannedReplyDeleteForm,
    CannedReplyFilterForm,
    CannedReplyForm,
    CannedReplyPickForm,
)
from requests_app.models import CannedReply
from requests_app.selectors.canned_replies import (
    canned_reply_filled,
    canned_reply_get_for_user,
    canned_reply_list_for_user,
    canned_reply_pick,
)
from requests_app.services.canned_replies import (
    canned_reply_create,
    canned_reply_delete,
    canned_reply_update,
)
from requests_app.views.agent import AgentPageMixin
from requests_app.views.mixins import AuthenticatedHttpRequest, htmx_target, varies_with_htmx

PER_PAGE = 50
RESULTS = "canned-reply-results"


def _reply_or_404(user: Any, reply_id: int) -> CannedReply:
    try:
        return canned_reply_get_for_user(user, reply_id)
    except CannedReplyNotFound as exc:
        raise Http404(exc.message) from exc


def _versions(reply: CannedReply) -> list[tuple[str, str, str]]:
    """Each language's (code, title, body) of a reply, the languages it is written in."""
    texts = CannedReplyTexts.of(reply)
    return [(code, texts.titles[code], texts.bodies[code]) for code in texts.languages]


def _placeholders() -> list[dict[str, Any]]:
    return [{"code": p.code, "label": p.label} for p in PLACEHOLDERS.values()]


class CannedReplyPageMixin(AgentPageMixin):
    """The management pages: back office only (``BackOfficeRequiredMixin``), with the
    navigation of every back-office page."""

    def page_context(self, **extra: Any) -> dict[str, Any]:
        return {**self.agent_context(), "section": "canned_replies",
                "manages_shared": permissions.may_manage_shared_canned_replies(
                    self.request.user),
                "placeholders": _placeholders(), **extra}

    def forbidden(self, error: SptError) -> HttpResponse:
        return render(self.request, "agent/canned_replies/refused.html",
                      self.page_context(error=error), status=error.status)


class CannedReplyListView(CannedReplyPageMixin, View):
    """GET /agent/canned-replies/: the list, its search (htmx answers the results only)."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = CannedReplyFilterForm(request.GET or None)
        status = 400 if form.is_bound and not form.is_valid() else 200
        replies = canned_reply_list_for_user(self.request.user, **form.filters())
        page = Paginator(replies, PER_PAGE).get_page(request.GET.get("page"))
        fragment = htmx_target(request) == RESULTS
        context = self.page_context(
            form=form, page_obj=page, paginator=page.paginator, fragment=fragment,
            rows=[{"reply": reply, "languages": [(code, language_name(code)) for code
                                                 in CannedReplyTexts.of(reply).languages],
                   "may_change": not reply.is_shared or permissions
                   .may_manage_shared_canned_replies(self.request.user)}
                  for reply in page],
        )
        template = ("agent/canned_replies/results.html" if fragment
                    else "agent/canned_replies/list.html")
        return varies_with_htmx(render(request, template, context, status=status))


class CannedReplyFormView(CannedReplyPageMixin, View):
    """What the new reply's page and a reply's edit page share."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin

    reply: CannedReply | None = None

    def make_form(self, data: Any = None) -> CannedReplyForm:
        initial: dict[str, Any] = {}
        if self.reply is not None:
            texts = CannedReplyTexts.of(self.reply)
            initial = {"shared": self.reply.is_shared, "revision": self.reply.revision}
            for code, title in texts.titles.items():
                initial[f"title_{code}"] = title
                initial[f"body_{code}"] = texts.bodies[code]
        return CannedReplyForm(
            data, initial=initial, editing=self.reply is not None,
            may_share=permissions.may_manage_shared_canned_replies(self.request.user))

    def render_form(self, form: CannedReplyForm, *, status: int = 200,
                    current: CannedReply | None = None) -> HttpResponse:
        return render(self.request, "agent/canned_replies/form.html", self.page_context(
            form=form, reply=self.reply, current=current,
            current_versions=_versions(current) if current is not None else [],
        ), status=status)

    def load(self) -> None:
        """Reads the reply the page is about, if any (once the person passed the gates)."""

    def perform(self, form: CannedReplyForm) -> CannedReply:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            reply = self.perform(form)
        except CannedReplyNotFound as error:
            raise Http404(error.message) from error
        except InvalidInput as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return self.render_form(form, status=error.status)
        except StaleRequest as error:
            return self.stale(form, error)
        except PermissionDenied as error:
            return self.forbidden(error)
        messages.success(request, _("Réponse type « %(title)s » enregistrée.")
                         % {"title": reply.title})
        return HttpResponseRedirect(reverse("agent:canned_replies"))

    def stale(self, form: CannedReplyForm, error: StaleRequest) -> HttpResponse:
        """Someone saved the reply meanwhile: the form again with what this person typed,
        the version now stored beside it, and its revision, so that saving again is a
        decision taken knowing it."""
        assert self.reply is not None  # only an edit has a revision to be out of date
        current = _reply_or_404(self.request.user, self.reply.pk)
        data = self.request.POST.copy()
        data["revision"] = str(current.revision)
        form = self.make_form(data)
        form.is_valid()
        messages.error(self.request, error.message)
        return self.render_form(form, status=error.status, current=current)


class CannedReplyCreateView(CannedReplyFormView):
    """GET, POST /agent/canned-replies/new/."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_form(self.make_form())

    def perform(self, form: CannedReplyForm) -> CannedReply:
        return canned_reply_create(actor=self.request.user, **form.service_kwargs())


class CannedReplyEditView(CannedReplyFormView):
    """GET, POST /agent/canned-replies/<id>/edit/: a reply one sees and may write (a shared
    one one may not write: 403 with the reason; another person's: 404)."""

    def load(self) -> None:
        self.reply = _reply_or_404(self.request.user, self.kwargs["reply_id"])

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.load()
        assert self.reply is not None
        if self.reply.is_shared and not permissions.may_manage_shared_canned_replies(
                request.user):
            return self.forbidden(PermissionDenied(_(
                "Les réponses types partagées sont écrites par le ServiceDesk et les "
                "administrateurs : demandez-leur ce changement.")))
        return self.render_form(self.make_form())

    def perform(self, form: CannedReplyForm) -> CannedReply:
        assert self.reply is not None
        return canned_reply_update(actor=self.request.user, reply=self.reply,
                                   revision=form.cleaned_data["revision"],
                                   **form.service_kwargs())


class CannedReplyDeleteView(CannedReplyPageMixin, View):
    """GET /agent/canned-replies/<id>/delete/ asks; POST deletes."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin

    reply: CannedReply

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.reply = _reply_or_404(request.user, kwargs["reply_id"])
        if self.reply.is_shared and not permissions.may_manage_shared_canned_replies(
                request.user):
            return self.forbidden(PermissionDenied(_(
                "Les réponses types partagées sont écrites par le ServiceDesk et les "
                "administrateurs : demandez-leur ce changement.")))
        return self.render_confirm()

    def render_confirm(self, *, status: int = 200) -> HttpResponse:
        return render(self.request, "agent/canned_replies/delete.html",
                      self.page_context(reply=self.reply), status=status)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.reply = _reply_or_404(request.user, kwargs["reply_id"])
        form = CannedReplyDeleteForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Le formulaire est incomplet : rechargez la page."))
            return self.render_confirm(status=400)
        title = self.reply.title
        try:
            canned_reply_delete(actor=self.request.user, reply=self.reply,
                                revision=form.cleaned_data["revision"])
        except CannedReplyNotFound as error:
            raise Http404(error.message) from error
        except StaleRequest as error:
            messages.error(request, error.message)
            self.reply = _reply_or_404(request.user, self.reply.pk)
            return self.render_confirm(status=error.status)
        except PermissionDenied as error:
            return self.forbidden(error)
        messages.success(request, _("Réponse type « %(title)s » supprimée.") % {"title": title})
        return HttpResponseRedirect(reverse("agent:canned_replies"))


# ------------------------------------------------------ the insert control of a request

class CannedReplyPickView(CannedReplyPageMixin, View):
    """GET /agent/requests/SPT-<n>/canned-replies/?q=: the replies found, each with what it
    would insert for that request (a fragment for the insert control)."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin

    def get(self, request: HttpRequest, key: str, *args: Any, **kwargs: Any) -> HttpResponse:
        form = CannedReplyPickForm(request.GET)
        valid = form.is_valid()
        try:
            pick = canned_reply_pick(self.request.user, key,
                                     text=form.cleaned_data["q"] if valid else "")
        except RequestNotFound as error:
            raise Http404(error.message) from error
        return render(request, "agent/canned_replies/pick_results.html", {
            "pick": pick, "form": form, "req": pick.target.request,
            "customer_language": language_name(pick.target.language),
            "picker_id": form.picker_id(),
        }, status=200 if valid else 400)


class CannedReplyFillView(CannedReplyPageMixin, View):
    """GET /agent/requests/SPT-<n>/canned-replies/<id>/: the reply filled, as JSON."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin

    def get(self, request: HttpRequest, key: str, reply_id: int, *args: Any,
            **kwargs: Any) -> HttpResponse:
        try:
            filled = canned_reply_filled(self.request.user, key, reply_id)
        except (RequestNotFound, CannedReplyNotFound) as error:
            return JsonResponse({"error": error.message}, status=404)
        return JsonResponse(filled.as_json())
