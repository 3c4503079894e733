"""Customer pages (/portal/). Views parse input, call one service or selector, render.

Every refusal is a page with a message and a 4xx: an invisible request or attachment is a 404
(nothing leaks), an invalid form is re-rendered with its errors (400), a refused action (a
closed request, a role) keeps the person on the request page with the reason (403/409).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from portal.errors import SptError
from requests_app import permissions, rules, selectors, services
from requests_app.exceptions import RequestNotFound
from requests_app.forms import portal as portal_forms
from requests_app.models import Request
from requests_app.people import person_name
from requests_app.selectors import portal as portal_selectors
from requests_app.views.mixins import (
    AuthenticatedHttpRequest,
    ClientRequiredMixin,
    flood_refusal,
    history_before,
    history_fragment,
    htmx_target,
    refusal_on_form,
    uploads_keep,
    varies_with_htmx,
)
from requests_app.workflow import RequestStatus

PAGE_SIZE = 25
DETAIL_TEMPLATE = "portal/requests/detail.html"


def _not_found(error: RequestNotFound) -> Http404:
    return Http404(error.message)


def _refusal(request: HttpRequest, error: SptError) -> HttpResponse:
    """A refusal outside any request page: the reason once, with the error's 4xx (an
    invisible request stays a plain 404)."""
    if isinstance(error, RequestNotFound):
        raise _not_found(error)
    return render(request, "partials/error_page.html", {"error": error}, status=error.status)


# --- Mes demandes --------------------------------------------------------------------------------


class RequestListView(ClientRequiredMixin, View):
    """Mes demandes: filters, search, sorting, counts per status, pagination. To htmx (the
    search box, as the client types) only the results: counts, rows and pages."""

    template_name = "portal/requests/list.html"
    results_template = "portal/requests/list_results.html"
    RESULTS_ID = "spt-results"

    def get(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        form = portal_forms.RequestFilterForm(request.GET or None)
        status = 200
        if form.is_bound and not form.is_valid():
            # A hand-edited or stale filter: say which one, and show nothing rather than a
            # list that silently ignores it.
            status = 400
            filters = portal_selectors.RequestFilters()
            counts: dict[str, int] = {}
        else:
            filters = form.filters()
            counts = portal_selectors.portal_status_counts(request.user, filters)
        rows_of_list = portal_selectors.PortalRows(
            request.user, filters, portal_selectors.portal_list_total(filters, counts))
        # PortalRows has what the paginator uses (count, slices); the stubs want a Sequence.
        paginator: Paginator = Paginator(rows_of_list, PAGE_SIZE)  # type: ignore[arg-type]
        try:
            page = paginator.page(request.GET.get("page") or 1)
        except InvalidPage as exc:
            raise Http404(_("Cette page de la liste n'existe pas.")) from exc
        rows = list(page.object_list)
        clocks = portal_selectors.clocks_for_requests(rows, at=timezone.now())
        total = sum(counts.values())
        closed = counts.get(RequestStatus.CLOSED, 0)
        context = {
            "form": form,
            "filters": filters,
            "page_obj": page,
            "paginator": paginator,
            "rows": [(r, clocks.get(r.pk, [])) for r in rows],
            "status_counts": [
                (value, label, counts.get(value, 0)) for value, label in RequestStatus.choices
            ],
            "count_total": total,
            "count_open": total - closed,
            "count_closed": closed,
            "is_filtered": any(
                request.GET.get(name) for name in ("q", "status", "type", "state", "scope")
            ),
            "has_advanced_filters": any(
                request.GET.get(name) for name in ("status", "type", "state", "scope", "sort")
            ),
            "results_id": self.RESULTS_ID,
        }
        fragment = htmx_target(request) == self.RESULTS_ID
        return varies_with_htmx(render(
            request, self.results_template if fragment else self.template_name,
            {**context, "fragment": fragment}, status=status))


# --- Nouvelle demande ----------------------------------------------------------------------------


class _FollowUpMixin:
    """``?follows_up=SPT-n``: the closed request the new one refers to."""

    request: HttpRequest

    def follows_up(self) -> Request | None:
        key = self.request.GET.get("follows_up", "").strip()
        if not key:
            return None
        return portal_selectors.request_get_for_follow_up(self.request.user, key)


class RequestCreateChooseView(ClientRequiredMixin, _FollowUpMixin, View):
    """Nouvelle demande, step 1: the types this client may open (never Licence)."""

    template_name = "portal/requests/create_choose.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            follows_up = self.follows_up()
        except RequestNotFound as error:
            raise _not_found(error) from error
        except SptError as error:
            return _refusal(request, error)
        types = portal_selectors.request_type_list_creatable_by(request.user)
        return render(request, self.template_name, {"types": types, "follows_up": follows_up})


class RequestCreateView(ClientRequiredMixin, _FollowUpMixin, View):
    """Nouvelle demande, step 2: the chosen type's form."""

    template_name = "portal/requests/create.html"

    def _prepare(self, type_code: str) -> tuple[Any, Request | None]:
        return (
            portal_selectors.request_type_get_for_creation(self.request.user, type_code),
            self.follows_up(),
        )

    def _render(self, form: portal_forms.RequestCreateForm, follows_up: Request | None,
                status: int = 200) -> HttpResponse:
        return render(self.request, self.template_name, {
            "form": form, "request_type": form.request_type, "follows_up": follows_up,
        }, status=status)

    def get(self, request: HttpRequest, type_code: str) -> HttpResponse:
        try:
            request_type, follows_up = self._prepare(type_code)
        except RequestNotFound as error:
            raise _not_found(error) from error
        except SptError as error:
            return _refusal(request, error)
        form = portal_forms.RequestCreateForm(request_type=request_type, follows_up=follows_up)
        return self._render(form, follows_up)

    def post(self, request: AuthenticatedHttpRequest, type_code: str) -> HttpResponse:
        try:
            request_type, follows_up = self._prepare(type_code)
        except RequestNotFound as error:
            raise _not_found(error) from error
        except SptError as error:
            return _refusal(request, error)
        flooded = flood_refusal(request, "request")
        if flooded is not None:
            return flooded
        form = portal_forms.RequestCreateForm(
            request.POST, request.FILES, request_type=request_type, uploader=request.user
        )
        if not form.is_valid():
            uploads_keep(request, form)
            return self._render(form, follows_up, status=400)
        try:
            created = services.request_create(
                actor=request.user, request_type=request_type, follows_up=follows_up,
                **form.service_kwargs(),
            )
        except SptError as error:
            if not refusal_on_form(error, form):
                form.add_error(None, error.message)
            uploads_keep(request, form)
            return self._render(form, follows_up, status=error.status)
        messages.success(request, _(
            "Votre demande %(key)s a été envoyée. Le Customer Service (FrontDesk) va la "
            "prendre en compte ; vous recevrez un e-mail à chaque étape."
        ) % {"key": created.key})
        return redirect("portal:request", key=created.key)


# --- the request page and its actions ------------------------------------------------------------


def _detail_forms(page: portal_selectors.RequestPage, user: Any,
                  bound: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    """The forms the page offers this person, unbound unless given (after an error)."""
    bound = bound or {}
    r = page.request
    result: dict[str, Any] = {}
    if page.may_answer and rules.satisfaction_refusal(r, at=timezone.now()) is None:
        given = page.satisfaction
        result["satisfaction_form"] = bound.get("satisfaction") or portal_forms.SatisfactionForm(
            prefix="satisfaction",
            initial={"rating": str(given.rating), "comment": given.comment} if given else None)
    if r.is_closed:
        return result
    result["comment_form"] = bound.get("comment") or portal_forms.CommentForm(prefix="comment")
    if page.confirmation_pending and page.may_answer:
        result["confirm_form"] = bound.get("confirm") or portal_forms.ResolutionConfirmForm(
            prefix="confirm")
        result["deny_form"] = bound.get("deny") or portal_forms.ResolutionDenyForm(
            prefix="deny")
    if services.transition_allowed(r, "withdraw", user):
        result["withdraw_form"] = bound.get("withdraw") or portal_forms.WithdrawForm(
            prefix="withdraw")
    if permissions.may_add_participant(r, user):
        colleagues = portal_selectors.colleague_list_for_participation(r, page.participants)
        result["participant_form"] = bound.get("participant") or (
            portal_forms.ParticipantAddForm(prefix="participant", colleagues=colleagues)
        )
    return result


# Where each bound form of the page is shown (its prefix → the template's variable).
_FORM_SLOTS = {
    "comment": "comment_form", "confirm": "confirm_form", "deny": "deny_form",
    "withdraw": "withdraw_form", "participant": "participant_form",
    "satisfaction": "satisfaction_form",
}


def render_request_page(request: HttpRequest, key: str, *, status: int = 200,
                        bound: dict[str, forms.Form] | None = None) -> HttpResponse:
    """The request page (the ten elements of the seed), re-read so that it shows the request
    as it is now, with any form that failed kept as it was typed. A failed form the page no
    longer offers (the request was closed meanwhile) has its errors shown as messages."""
    user = request.user
    try:
        page = portal_selectors.request_page_for_user(
            user, key, at=timezone.now(), before=history_before(request))
    except RequestNotFound as error:
        raise _not_found(error) from error
    fragment = history_fragment(request, page)
    if fragment is not None:
        return fragment
    r = page.request
    page_forms = _detail_forms(page, user, bound)
    for prefix, form in (bound or {}).items():
        if page_forms.get(_FORM_SLOTS.get(prefix, "")) is not form:
            for errors in form.errors.values():
                for message in errors:
                    # An ErrorList yields its messages (its __getitem__ unwraps each
                    # ValidationError); the stubs type the items as the ValidationErrors.
                    messages.error(request, message)  # type: ignore[arg-type]
    context = {
        "page": page,
        "req": r,
        "may_remove_participants": permissions.may_add_participant(r, user),
        **page_forms,
    }
    return render(request, DETAIL_TEMPLATE, context, status=status)


class RequestDetailView(ClientRequiredMixin, View):
    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        return render_request_page(request, key)


class RequestActionView(ClientRequiredMixin, View):
    """A POST-only action of the request page: validate one form, call one service, redirect
    back to the page with a message; or show the page again with the reason and a 4xx."""

    request: AuthenticatedHttpRequest  # behind ClientRequiredMixin
    form_class: type[forms.Form] | None = None
    prefix = ""
    anchor = ""
    # What a post of this action counts against (settings.FLOOD_RATES), if anything.
    flood: str | None = None

    def form_kwargs(self, target: Request) -> dict[str, Any]:
        return {}

    def perform(self, target: Request, data: dict[str, Any]) -> str:
        """Call the service; return the success message."""
        raise NotImplementedError

    def http_method_not_allowed(self, request: HttpRequest, *args: Any,
                                **kwargs: Any) -> HttpResponse:
        response = render(request, "partials/error_page.html", {"error": {
            "message": _("Cette adresse ne s'ouvre pas directement : utilisez les boutons "
                         "de la page de la demande."),
        }}, status=405)
        response["Allow"] = "POST"
        return response

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        try:
            target = selectors.request_get_for_user(request.user, key)
        except RequestNotFound as error:
            raise _not_found(error) from error
        if self.flood is not None:
            flooded = flood_refusal(request, self.flood)
            if flooded is not None:
                return flooded
        form = None
        data: dict[str, Any] = {}
        if self.form_class is not None:
            form = self.form_class(request.POST, request.FILES, prefix=self.prefix,
                                   **self.form_kwargs(target))
            if not form.is_valid():
                uploads_keep(request, form)
                return render_request_page(request, target.key, status=400,
                                           bound={self.prefix: form})
            data = form.cleaned_data
        try:
            message = self.perform(target, data)
        except SptError as error:
            # The reason goes where the person is looking: on the form they sent (the page
            # scrolls back to it), or as a message at the top when there is no form.
            if not refusal_on_form(error, form):
                if form is not None:
                    form.add_error(None, error.message)
                else:
                    messages.error(request, error.message)
            uploads_keep(request, form)
            return render_request_page(request, target.key, status=error.status,
                                       bound={self.prefix: form} if form else None)
        messages.success(request, message)
        return redirect(self.success_url(target))

    def success_url(self, target: Request) -> str:
        url = reverse("portal:request", kwargs={"key": target.key})
        return f"{url}#{self.anchor}" if self.anchor else url


class CommentAddView(RequestActionView):
    flood = "comment"
    form_class = portal_forms.CommentForm
    prefix = "comment"
    anchor = "historique"

    def form_kwargs(self, target: Request) -> dict[str, Any]:
        return {"uploader": self.request.user}

    def perform(self, target: Request, data: dict[str, Any]) -> str:
        comment = services.comment_add(
            actor=self.request.user, request=target, body=data.get("body") or "",
            attachments=data.get("attachments") or [],
        )
        if (target.status == RequestStatus.AWAITING_CUSTOMER
                and comment.request.status != RequestStatus.AWAITING_CUSTOMER):
            return _("Votre réponse a été transmise : la demande est de nouveau traitée par "
                     "le Customer Service.")
        return _("Votre commentaire a été ajouté.")


class ResolutionConfirmView(RequestActionView):
    flood = "comment"
    form_class = portal_forms.ResolutionConfirmForm
    prefix = "confirm"
    anchor = "contenu"  # the top, where the page now says the confirmation was received

    def perform(self, target: Request, data: dict[str, Any]) -> str:
        services.resolution_confirm(actor=self.request.user, request=target,
                                    body=data.get("body") or "", rating=data.get("rating"))
        return _("Merci, votre confirmation a été reçue. Le Customer Service va clore la "
                 "demande.")


class SatisfactionRateView(RequestActionView):
    """"Votre satisfaction" after the confirmation: give or change the rating."""

    form_class = portal_forms.SatisfactionForm
    prefix = "satisfaction"
    anchor = "satisfaction"

    def perform(self, target: Request, data: dict[str, Any]) -> str:
        services.satisfaction_rate(actor=self.request.user, request=target,
                                   rating=data["rating"], comment=data.get("comment") or "")
        return _("Merci, votre satisfaction est enregistrée.")


class ResolutionDenyView(RequestActionView):
    flood = "comment"
    form_class = portal_forms.ResolutionDenyForm
    prefix = "deny"
    anchor = "historique"

    def perform(self, target: Request, data: dict[str, Any]) -> str:
        services.resolution_deny(actor=self.request.user, request=target, body=data["body"])
        return _("Votre réponse a été transmise : la demande est de nouveau en cours de "
                 "traitement.")


class _MuteView(RequestActionView):
    muted = True
    anchor = "notifications"

    def perform(self, target: Request, data: dict[str, Any]) -> str:
        services.notifications_mute_set(actor=self.request.user, request=target,
                                        muted=self.muted)
        if self.muted:
            return _("Vous ne recevrez plus d'e-mail pour cette demande, sauf une demande de "
                     "confirmation de la résolution.")
        return _("Les notifications de cette demande sont réactivées.")


class MuteView(_MuteView):
    muted = True


class UnmuteView(_MuteView):
    muted = False


class ParticipantAddView(RequestActionView):
    form_class = portal_forms.ParticipantAddForm
    prefix = "participant"
    anchor = "personnes"

    def form_kwargs(self, target: Request) -> dict[str, Any]:
        return {"colleagues": portal_selectors.colleague_list_for_participation(target)}

    def perform(self, target: Request, data: dict[str, Any]) -> str:
        user = data["user"]
        services.participant_add(actor=self.request.user, request=target, user=user)
        return _("%(name)s participe maintenant à la demande.") % {
            "name": person_name(user)}


class ParticipantRemoveView(RequestActionView):
    form_class = portal_forms.ParticipantRemoveForm
    prefix = "remove"
    anchor = "personnes"

    def form_kwargs(self, target: Request) -> dict[str, Any]:
        return {"participants": portal_selectors.participant_user_list(target)}

    def perform(self, target: Request, data: dict[str, Any]) -> str:
        user = data["user"]
        services.participant_remove(actor=self.request.user, request=target, user=user)
        if user.pk == self.request.user.pk:
            return _("Vous ne participez plus à cette demande.")
        return _("%(name)s ne participe plus à la demande.") % {
            "name": person_name(user)}


    def success_url(self, target: Request) -> str:
        # Leaving a request that is not shared with the organisation also ends seeing it.
        if not selectors.request_is_visible_to(self.request.user, target.pk):
            return reverse("portal:home")
        return super().success_url(target)


class WithdrawView(RequestActionView):
    form_class = portal_forms.WithdrawForm
    prefix = "withdraw"
    anchor = "contenu"  # the top: the message and the "Demande fermée" banner

    def perform(self, target: Request, data: dict[str, Any]) -> str:
        services.request_withdraw(actor=self.request.user, request=target,
                                  reason=data["reason"])
        return _("Votre demande a été retirée et fermée.")

