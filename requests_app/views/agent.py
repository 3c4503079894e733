"""Back-office pages (/agent/): the queues, the agent request page and its actions.

Views parse input with the forms of ``forms/agent.py``, call one service or selector and
render; every POST redirects on success. A refusal comes back with the error's 4xx status and
nothing changed: the request page again, as it is now, when the request changed in between or
the input was wrong; a short page for an action the page never offered (a role or a condition).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import ListView, TemplateView

from portal.errors import SptError
from requests_app import permissions, selectors, services
from requests_app.exceptions import (
    InvalidInput,
    PermissionDenied,
    RequestNotFound,
    TransitionNotAllowed,
)
from requests_app.forms.agent import (
    BULK_ASSIGN,
    AgentCommentForm,
    AssignForm,
    BulkActionForm,
    DetailsForm,
    MuteForm,
    QueueFilterForm,
    transition_form,
)
from requests_app.models import Request
from requests_app.selectors import portal as portal_selectors
from requests_app.selectors import queues
from requests_app.views.mixins import BackOfficeRequiredMixin
from requests_app.workflow import (
    ACTIONS,
    AGENT_TRANSITIONS,
    ConfirmationState,
    RequestStatus,
    action_label,
)
from slo.display import clock_views_for

S = RequestStatus

# Statuses where a request already has someone working on it: reassigning makes sense there.
# Before that, "Prendre en charge / assigner" is the way to give it an assignee.
REASSIGNABLE = {S.IN_PROGRESS, S.AWAITING_TRIAGE, S.AWAITING_RND, S.AWAITING_CUSTOMER}


class AgentPageMixin(BackOfficeRequiredMixin):
    """Every back-office page: the navigation's queues with their counts (one query)."""

    def agent_context(self) -> dict[str, Any]:
        user = self.request.user
        now = timezone.now()
        counts = queues.queue_counts(user, now=now)
        roles = permissions.roles_of(user)
        nav = [
            {"queue": queue, "count": counts.get(queue.slug), "mine": bool(queue.roles & roles)}
            for queue in queues.queues_for_user(user)
        ]
        return {"nav_queues": nav, "now": now}


# -------------------------------------------------------------------------- queues

class QueueIndexView(AgentPageMixin, TemplateView):
    """/agent/: every queue with its count, this person's own first."""

    template_name = "agent/queues/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.agent_context())
        context["section"] = "index"
        return context


class QueueView(AgentPageMixin, ListView):
    """/agent/queues/<queue>/: a queue, filtered, sorted (nearest SLO due time by default),
    paginated, with bulk actions."""

    template_name = "agent/queues/queue.html"
    context_object_name = "requests"
    paginate_by = 50

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.queue = queues.queue_get(kwargs["queue"])
        if self.queue is None:
            raise Http404(_("File d'attente inconnue."))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        self.now = timezone.now()
        self.filter_form = QueueFilterForm(
            self.request.GET or None, default_sort=self.queue.default_sort
        )
        return queues.queue_requests(
            self.request.user, self.queue, now=self.now, **self.filter_form.filters()
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.agent_context())
        page = list(context["requests"])
        clocks = clock_views_for([r.pk for r in page], at=self.now)
        context.update({
            "queue": self.queue,
            "section": "queues",
            "filter_form": self.filter_form,
            "bulk_form": kwargs.get("bulk_form")
            or BulkActionForm(user=self.request.user, prefix="bulk"),
            "rows": [
                {"request": r, "clocks": clocks.get(r.pk, []), "ref": f"{r.number}:{r.status}"}
                for r in page
            ],
            "selected": kwargs.get("selected", set()),
        })
        return context


class QueueBulkView(QueueView):
    """POST /agent/queues/<queue>/bulk/: one action on the ticked requests, each done (or
    refused) on its own through the same service as on the request page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = BulkActionForm(request.POST, user=request.user, prefix="bulk")
        if not form.is_valid():
            return self._invalid(form)
        refs = form.cleaned_data["requests"]
        action = form.cleaned_data["action"]
        found = queues.requests_by_numbers(request.user, [number for number, _s in refs])
        done, refused = [], []
        for number, shown_status in refs:
            target = found.get(number)
            if target is None:
                refused.append((f"SPT-{number}", _("Demande introuvable.")))
                continue
            try:
                if action == BULK_ASSIGN:
                    services.request_assign(actor=request.user, request=target,
                                            assignee=form.cleaned_data["assignee"])
                else:
                    services.TRANSITION_SERVICES[action](
                        actor=request.user, request=target, expected_status=shown_status,
                        **form.service_kwargs(action),
                    )
            except SptError as error:
                refused.append((target.key, error.message))
            else:
                done.append(target.key)
        label = _("Assigner / réassigner") if action == BULK_ASSIGN else action_label(action)
        if done:
            messages.success(request, ngettext(
                "« %(action)s » fait pour %(count)d demande : %(keys)s.",
                "« %(action)s » fait pour %(count)d demandes : %(keys)s.",
                len(done),
            ) % {"action": label, "count": len(done), "keys": ", ".join(done)})
        if refused:
            messages.error(request, ngettext(
                "« %(action)s » refusé pour %(count)d demande : %(details)s",
                "« %(action)s » refusé pour %(count)d demandes : %(details)s",
                len(refused),
            ) % {"action": label, "count": len(refused),
                 "details": "; ".join(f"{key} — {message}" for key, message in refused)})
        return HttpResponseRedirect(self._back_url())

    def _back_url(self) -> str:
        url = self.request.POST.get("next", "")
        base = reverse("agent:queue", args=[self.queue.slug])
        if url.startswith(base) and url_has_allowed_host_and_scheme(
            url, allowed_hosts={self.request.get_host()}
        ):
            return url
        return base

    def _invalid(self, form: BulkActionForm) -> HttpResponse:
        self.object_list = self.get_queryset()
        selected = {str(value) for value in self.request.POST.getlist("bulk-requests")}
        context = self.get_context_data(bulk_form=form, selected=selected)
        return self.render_to_response(context, status=400)


# ----------------------------------------------------------------- the request page

def _request_or_404(user: Any, key: str) -> Request:
    try:
        return selectors.request_get_for_user(user, key)
    except RequestNotFound as exc:
        raise Http404(exc.message) from exc


class RequestPageMixin(AgentPageMixin):
    """Builds the agent request page; the POST actions re-render it on a refusal."""

    def page_context(self, key: str, *, bound: dict[str, Any] | None = None) -> dict[str, Any]:
        bound = bound or {}
        user = self.request.user
        now = timezone.now()
        try:
            # The same reads as the client's page (each comment once, its attachments beside
            # it), in a fixed number of queries; the back office also gets internal lines.
            page = portal_selectors.request_page_for_user(user, key, at=now)
        except RequestNotFound as exc:
            raise Http404(exc.message) from exc
        request_obj = page.request
        closed = request_obj.is_closed
        actions = []
        for name in AGENT_TRANSITIONS:
            if not services.transition_allowed(request_obj, name, user):
                continue
            form = bound.get(f"transition:{name}") or transition_form(
                name, request_obj=request_obj, user=user
            )
            actions.append({
                "name": name,
                "label": action_label(name),
                "requires": ACTIONS[name]["requires"],
                "form": form,
                "open": form.is_bound,
                "url": reverse("agent:transition", args=[request_obj.key, name]),
            })
        waiting_deadline = None
        if (request_obj.status == S.AWAITING_CUSTOMER
                and request_obj.awaiting_customer_since is not None
                and request_obj.confirmation_state != ConfirmationState.CONFIRMED):
            waiting_deadline = selectors.customer_waiting_deadline(
                request_obj.awaiting_customer_since
            )
        context = {
            "req": request_obj,
            "page": page,
            "section": "request",
            "actions": actions,
            "waiting_deadline": waiting_deadline,
            "comment_form": None if closed else (
                bound.get("comment") or AgentCommentForm(prefix="comment")
            ),
            "details_form": None,
            "assign_form": None,
        }
        # While "Qualifier" is on offer, its form is the way to set these fields.
        qualifying = any(action["name"] == "qualify" for action in actions)
        if not closed and not qualifying and permissions.may_edit_details(user):
            context["details_form"] = bound.get("details") or DetailsForm(
                request_obj=request_obj, user=user
            )
        # Daily reassigns; a ServiceDesk agent can only take the request, pointless when it
        # is already theirs.
        takes_only = not permissions.has_role(user, permissions.Role.DAILY)
        if (request_obj.status in REASSIGNABLE and permissions.may_assign(user)
                and not (takes_only and request_obj.assignee_id == user.pk)):
            context["assign_form"] = bound.get("assign") or AssignForm(
                request_obj=request_obj, user=user
            )
        context.update(self.agent_context())
        return context

    def render_page(self, key: str, *, status: int = 200,
                    bound: dict[str, Any] | None = None) -> HttpResponse:
        return render(self.request, "agent/requests/detail.html",
                      self.page_context(key, bound=bound), status=status)

    def refused(self, request_obj: Request, error: SptError, *, form: Any = None,
                bound_key: str = "") -> HttpResponse:
        """A service's refusal: the page again, as it is now, with the message and a 4xx."""
        if isinstance(error, RequestNotFound):
            raise Http404(error.message)
        if isinstance(error, PermissionDenied | TransitionNotAllowed):
            # Never offered by the page (a role or a condition the buttons already reflect):
            # a short answer, with the way back to the request.
            context = {"req": request_obj, "error": error, "section": "request"}
            context.update(self.agent_context())
            return render(self.request, "agent/requests/refused.html", context,
                          status=error.status)
        keep = {}
        if isinstance(error, InvalidInput) and form is not None:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message)
            keep = {bound_key: form}
        else:
            # The request changed under the agent's feet (or was closed): the page again, as
            # it is now, showing what can be done now.
            messages.error(self.request, error.message)
        return self.render_page(request_obj.key, status=error.status, bound=keep)

    def done(self, request_obj: Request, message: str, anchor: str = "") -> HttpResponse:
        messages.success(self.request, message)
        url = reverse("agent:request", args=[request_obj.key])
        return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


class RequestDetailView(RequestPageMixin, View):
    """/agent/requests/SPT-<n>/: what the client sees, plus internal notes, the SLO clocks
    and exactly the transitions this person's roles allow at this status."""

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        return self.render_page(key)


class TransitionView(RequestPageMixin, View):
    """POST /agent/requests/SPT-<n>/transition/<name>/: one workflow action, by name."""

    def post(self, request: HttpRequest, key: str, name: str) -> HttpResponse:
        request_obj = _request_or_404(request.user, key)
        if name not in AGENT_TRANSITIONS or name not in services.TRANSITION_SERVICES:
            raise Http404(_("Action inconnue."))
        form = transition_form(name, request_obj=request_obj, user=request.user,
                               data=request.POST, files=request.FILES)
        if not form.is_valid():
            if not services.transition_allowed(request_obj, name, request.user):
                return self._not_allowed(request_obj, name, form)
            return self.render_page(key, status=400, bound={f"transition:{name}": form})
        try:
            services.TRANSITION_SERVICES[name](
                actor=request.user, request=request_obj, **form.service_kwargs()
            )
        except SptError as error:
            return self.refused(request_obj, error, form=form, bound_key=f"transition:{name}")
        return self.done(request_obj, _("« %(action)s » : fait pour %(key)s.")
                         % {"action": action_label(name), "key": request_obj.key})

    def _not_allowed(self, request_obj: Request, name: str, form: Any) -> HttpResponse:
        shown = form.data.get(f"{name}-expected_status", "")
        if shown and shown != request_obj.status:
            message = _("La demande %(key)s a été modifiée entre-temps (statut actuel : "
                        "%(status)s). Rechargez la page.") % {
                "key": request_obj.key, "status": request_obj.get_status_display()}
            messages.error(self.request, message)
            return self.render_page(request_obj.key, status=409)
        error = PermissionDenied(
            _("« %(action)s » n'est pas possible pour vous sur cette demande au statut "
              "« %(status)s ».") % {"action": action_label(name),
                                    "status": request_obj.get_status_display()}
        )
        return self.refused(request_obj, error)


class CommentView(RequestPageMixin, View):
    """POST /agent/requests/SPT-<n>/comment/: a public comment or an internal note."""

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        request_obj = _request_or_404(request.user, key)
        form = AgentCommentForm(request.POST, request.FILES, prefix="comment")
        if not form.is_valid():
            return self.render_page(key, status=400, bound={"comment": form})
        try:
            comment = services.comment_add(actor=request.user, request=request_obj,
                                           **form.service_kwargs())
        except SptError as error:
            return self.refused(request_obj, error, form=form, bound_key="comment")
        message = _("Note interne ajoutée.") if comment.is_internal else _(
            "Commentaire publié : le client le voit.")
        return self.done(request_obj, message, anchor="historique")


class DetailsView(RequestPageMixin, View):
    """POST /agent/requests/SPT-<n>/details/: type, priority, module, version, environment."""

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        request_obj = _request_or_404(request.user, key)
        form = DetailsForm(request.POST, request_obj=request_obj, user=request.user)
        if not form.is_valid():
            return self.render_page(key, status=400, bound={"details": form})
        try:
            services.request_update_details(actor=request.user, request=request_obj,
                                            **form.service_kwargs())
        except SptError as error:
            return self.refused(request_obj, error, form=form, bound_key="details")
        return self.done(request_obj, _("Qualification enregistrée."))


class AssignView(RequestPageMixin, View):
    """POST /agent/requests/SPT-<n>/assign/: (re)assign a request being processed."""

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        request_obj = _request_or_404(request.user, key)
        form = AssignForm(request.POST, request_obj=request_obj, user=request.user)
        if not form.is_valid():
            return self.render_page(key, status=400, bound={"assign": form})
        try:
            services.request_assign(actor=request.user, request=request_obj,
                                    assignee=form.cleaned_data["assignee"])
        except SptError as error:
            return self.refused(request_obj, error, form=form, bound_key="assign")
        return self.done(request_obj, _("Assignation enregistrée."))


class MuteView(RequestPageMixin, View):
    """POST /agent/requests/SPT-<n>/mute/: this person's e-mails about the request."""

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        request_obj = _request_or_404(request.user, key)
        form = MuteForm(request.POST)
        form.is_valid()
        muted = bool(form.cleaned_data.get("muted"))
        try:
            services.notifications_mute_set(actor=request.user, request=request_obj,
                                            muted=muted)
        except SptError as error:
            return self.refused(request_obj, error)
        return self.done(request_obj, _("Notifications désactivées pour cette demande.")
                         if muted else _("Notifications réactivées pour cette demande."))

