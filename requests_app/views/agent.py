"""Back-office pages (/agent/): the queues, the agent request page and its actions.

Views parse input with the forms of ``forms/agent.py``, call one service or selector and
render; every POST redirects on success. A refusal comes back with the error's 4xx status and
nothing changed: the request page again, as it is now, when the request changed in between or
the input was wrong; a short page for an action the page never offered (a role or a condition).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import ListView, TemplateView

from portal.errors import SptError
from requests_app import permissions, selectors, services
from requests_app.exceptions import PermissionDenied, RequestNotFound, TransitionNotAllowed
from requests_app.forms.agent import (
    AgentCommentForm,
    AssignForm,
    BulkActionForm,
    DetailsForm,
    MuteForm,
    QueueFilterForm,
    bulk_action_label,
    transition_form,
)
from requests_app.forms.saved_views import VIEW_PARAMETER
from requests_app.models import Request
from requests_app.rules import stale_refusal, transition_refusal
from requests_app.selectors import portal as portal_selectors
from requests_app.selectors import queues
from requests_app.selectors.agent_page import agent_page_offer, bulk_actions_for
from requests_app.selectors.counting import BoundedPaginator
from requests_app.selectors.live import live_version, request_version
from requests_app.views.live import LIVE_POLL_SECONDS, live_etag, not_modified
from requests_app.views.mixins import (
    AuthenticatedHttpRequest,
    BackOfficeRequiredMixin,
    flood_refusal,
    history_before,
    history_fragment,
    htmx_target,
    refusal_on_form,
    uploads_keep,
    varies_with_htmx,
)
from requests_app.views.queue_origin import (
    next_request_key,
    queue_following,
    queue_neighbours,
    queue_origin_here,
    queue_origin_of,
    request_page_query,
)
from requests_app.views.saved_view_parts import (
    nav_current_view,
    queue_page_saved_views,
    saved_views_nav,
)
from requests_app.workflow import TRANSITIONS, action_label
from slo.display import nearest_clock_views_for


class AgentPageMixin(BackOfficeRequiredMixin):
    """Every back-office page: the navigation's queues. Their counts (one query, the costliest
    of most pages) come after the page, from ``QueueNavView``, and again while it stays open; the
    queue index, whose content they are, counts at once (``counted``)."""

    def agent_context(self, *, counted: bool = False) -> dict[str, Any]:
        user = self.request.user
        now = timezone.now()
        counts = queues.queue_counts(user, now=now) if counted else {}
        roles = permissions.roles_of(user)
        nav = [
            {"queue": queue, "count": counts.get(queue.slug), "mine": bool(queue.roles & roles)}
            for queue in queues.queues_for_user(user)
        ]
        # The person's saved views under their own heading: one query for the list, one
        # for their counts when counted.
        saved = saved_views_nav(user, now=now, counted=counted)
        return {"nav_queues": nav, "nav_saved_views": saved, "nav_counted": counted,
                "now": now, "live_poll_seconds": LIVE_POLL_SECONDS}


class QueueNavView(AgentPageMixin, View):
    """GET /agent/queues/nav/?current=<queue>: the navigation's queue list with its counts,
    the fragment the page's sidebar replaces itself with (htmx, on load and while the page
    stays open). Asked again with its ETag, it is a 304 until a request this person sees
    changes, or every few minutes (a queue defined by the time, "SLO à risque" or "Fermées
    récemment", moves without a change)."""

    # A count that moves with the time alone is at most this late (seconds).
    TIME_BUCKET = 300

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        current = request.GET.get("current", "")
        if current and queues.queue_get(current) is None:
            raise Http404(_("File d'attente inconnue."))
        etag = live_etag(request, "nav", live_version(request.user),
                         int(timezone.now().timestamp()) // self.TIME_BUCKET)
        unchanged = not_modified(request, etag)
        if unchanged is not None:
            return unchanged
        context = {**self.agent_context(counted=True), "current": current, "live_etag": etag}
        context["current_view"] = nav_current_view(
            context["nav_saved_views"], request.GET.get(VIEW_PARAMETER), current)
        response = render(request, "agent/queues/nav.html", context)
        response["ETag"] = etag
        return response


# -------------------------------------------------------------------------- queues

class QueueIndexView(AgentPageMixin, TemplateView):
    """/agent/: every queue with its count, this person's own first."""

    template_name = "agent/queues/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.agent_context(counted=True))
        context["section"] = "index"
        return context


class QueueView(AgentPageMixin, ListView):
    """/agent/queues/<queue>/: a queue, filtered, sorted (nearest SLO due time by default,
    the best found first while searching), paginated, with bulk actions. To htmx only the
    part a search typed replaces: the results (the queue's own search field) or the page's
    content (the side navigation's search box)."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin
    template_name = "agent/queues/queue.html"
    FRAGMENTS = {"agent-queue-results": "agent/queues/queue_results.html",
                 "agent-content": "agent/queues/queue_content.html"}
    context_object_name = "requests"
    paginate_by = 50
    paginator_class = BoundedPaginator

    def get_template_names(self) -> list[str]:
        fragment = self.FRAGMENTS.get(htmx_target(self.request))
        return [fragment] if fragment else super().get_template_names()

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        context["fragment"] = htmx_target(self.request)
        return varies_with_htmx(super().render_to_response(context, **kwargs))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        queue = queues.queue_get(kwargs["queue"])
        if queue is None:
            raise Http404(_("File d'attente inconnue."))
        self.queue = queue
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The version first: a change between it and the rows shows at the next asking.
        self.live_etag = live_etag(request, "queue", live_version(request.user))
        results = htmx_target(request) == "agent-queue-results"
        if results:
            unchanged = not_modified(request, self.live_etag)
            if unchanged is not None:
                return varies_with_htmx(unchanged)
        response = super().get(request, *args, **kwargs)
        if results:
            response["ETag"] = self.live_etag
        return response

    def get_queryset(self):
        self.now = timezone.now()
        self.filter_form = QueueFilterForm(
            self.filter_data() or None, default_sort=self.queue.default_sort
        )
        return queues.queue_rows(queues.queue_requests(
            self.request.user, self.queue, now=self.now, **self.filter_form.filters()
        ))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.agent_context())
        page = queues.queue_rows_complete(list(context["requests"]))
        clocks = nearest_clock_views_for([r.pk for r in page], at=self.now)
        bulk_offer = _bulk_offer(self.request.user, page)
        # Each row's link carries the queue as the page shows it, for "Demande suivante".
        from_query = request_page_query(queue_origin_here(self.queue, self.request))
        context.update({
            "queue": self.queue,
            "section": "queues",
            "filter_form": self.filter_form,
            "bulk_form": kwargs.get("bulk_form")
            or BulkActionForm(user=self.request.user, prefix="bulk",
                              offered=bulk_offer.offered),
            # Each row's actions, for the script that narrows the choice to the ticked rows.
            "bulk_offer": bulk_offer.script_data,
            "bulk_fields_url": bulk_offer.fields_url(self.queue.slug),
            # The bulk fields (a select of agents among them) are drawn when the panel opens,
            # unless it is open already: after an error, or asked without script.
            "bulk_open": "bulk_form" in kwargs or self.request.GET.get("bulk") == "open",
            "rows": [
                {"request": r, "clock": clocks.get(r.pk), "ref": f"{r.number}:{r.status}",
                 "from": from_query}
                for r in page
            ],
            "selected": kwargs.get("selected", set()),
            # What the page's script sends when it asks whether the rows changed (a page a
            # form posted to has none: its first asking redraws them).
            "queue_live_etag": getattr(self, "live_etag", ""),
        })
        context.update(queue_page_saved_views(
            self.request.user, nav=context["nav_saved_views"], queue=self.queue,
            filter_form=self.filter_form, asked=self.shown_view(),
            bound=kwargs.get("saved_view_forms", {})))
        return context

    def filter_data(self) -> Any:
        """What the filters are read from: the address; a saved view's action, its post or
        the view itself."""
        return self.request.GET

    def shown_view(self) -> str | None:
        """The saved view the page says it shows (``?view=``), if its filters are the page's."""
        return self.request.GET.get(VIEW_PARAMETER)


@dataclass(frozen=True)
class BulkOffer:
    """The bulk actions of a queue page: each row's (by the value its checkbox posts), and
    those offered at all — the ones allowed for at least one row. The page's script narrows
    them to those allowed for every ticked row; the services still check each request."""

    by_ref: dict[str, list[str]]
    offered: list[str]

    @property
    def script_data(self) -> dict[str, Any]:
        """What ``#agent-bulk-offer`` holds for static/js/agent_bulk.js."""
        return {"rows": self.by_ref,
                "labels": {name: bulk_action_label(name) for name in self.offered}}

    def fields_url(self, slug: str) -> str:
        url = reverse("agent:bulk_fields", args=[slug])
        return f"{url}?{urlencode({'actions': ','.join(self.offered)})}"


def _bulk_offer(user: Any, page: list[queues.QueueRow]) -> BulkOffer:
    actions = bulk_actions_for(user, [row.pk for row in page])
    by_ref = {f"{row.number}:{row.status}": actions.get(row.pk, []) for row in page}
    offered = list(dict.fromkeys(name for names in by_ref.values() for name in names))
    return BulkOffer(by_ref=by_ref, offered=offered)


def _bulk_result_messages(request: HttpRequest, label: str,
                          result: services.BulkResult) -> None:
    """What a bulk action did, in one message: "3 demandes traitées, 1 refusée", the keys
    done, then each refusal on its own line with its request's key and the reason."""
    done, refused = len(result.done), len(result.refused)
    done_text = (ngettext("%(count)d demande traitée", "%(count)d demandes traitées",
                          done) % {"count": done} if done else _("aucune demande traitée"))
    if not refused:
        messages.success(request, _("« %(action)s » : %(done)s (%(keys)s).") % {
            "action": label, "done": done_text, "keys": ", ".join(result.done)})
        return
    summary = _("« %(action)s » : %(done)s, %(refused)s.") % {
        "action": label, "done": done_text,
        "refused": ngettext("%(count)d refusée", "%(count)d refusées",
                            refused) % {"count": refused},
    }
    parts = [format_html('<p class="mb-1">{}</p>', summary)]
    if done:
        parts.append(format_html('<p class="mb-1">{}</p>',
                                 _("Traitées : %(keys)s.") % {"keys": ", ".join(result.done)}))
    parts.append(format_html(
        '<p class="mb-1">{}</p><ul class="spt-bulk-refusals mb-0">{}</ul>',
        ngettext("Refusée :", "Refusées :", refused),
        format_html_join("", "<li><strong>{}</strong> : {}</li>", result.refused)))
    level = messages.WARNING if done else messages.ERROR
    messages.add_message(request, level, mark_safe("".join(parts)))  # noqa: S308 - escaped


class QueueBulkFieldsView(AgentPageMixin, View):
    """GET /agent/queues/<queue>/bulk/fields/: the bulk action's fields, which the queue page
    fetches the first time its panel opens (without script, ``?bulk=open`` shows them)."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin

    def get(self, request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any
            ) -> HttpResponse:
        queue = queues.queue_get(kwargs["queue"])
        if queue is None:
            raise Http404(_("File d'attente inconnue."))
        if not request.headers.get("HX-Request"):
            url = reverse("agent:queue", args=[queue.slug])
            return HttpResponseRedirect(f"{url}?bulk=open#agent-bulk")
        # The page names the actions its rows allow (``BulkOffer.fields_url``): they can
        # only narrow what this person's roles allow.
        asked = request.GET.get("actions")
        offered = set(asked.split(",")) if asked is not None else None
        form = BulkActionForm(user=request.user, prefix="bulk", offered=offered)
        return render(request, "agent/queues/bulk_fields.html", {"bulk_form": form})


class QueueBulkView(QueueView):
    """POST /agent/queues/<queue>/bulk/: one action on the ticked requests, each done (or
    refused) on its own through the same service as on the request page."""

    http_method_names = ["post"]

    def post(self, request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = BulkActionForm(request.POST, user=request.user, prefix="bulk")
        if not form.is_valid():
            return self._invalid(form)
        action = form.cleaned_data["action"]
        result = services.requests_bulk_apply(
            actor=request.user, refs=form.cleaned_data["requests"], action=action,
            params=form.service_kwargs(action),
        )
        _bulk_result_messages(request, bulk_action_label(action), result)
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


def _action(name: str, request_obj: Request, user: Any, *, form: Any = None,
            open_slot: str = "", from_query: str = "") -> dict[str, Any]:
    """One action panel of the agent request page (the page and ``FormSlotView`` alike); its
    form is built only when the panel is drawn open (a form sent back, or asked for).
    ``from_query``: the queue the page was opened from, kept by the form's address."""
    drawn = (form is not None and form.is_bound) or open_slot == name
    if drawn and form is None:
        form = transition_form(name, request_obj=request_obj, user=user)
    return {
        "name": name,
        "label": action_label(name),
        "requires": TRANSITIONS[name].requires,
        "form": form,
        "render": drawn,
        "url": reverse("agent:transition", args=[request_obj.key, name]) + from_query,
    }


class RequestPageMixin(AgentPageMixin):
    """Builds the agent request page; the POST actions re-render it on a refusal."""

    def page_read(self, key: str) -> portal_selectors.RequestPage:
        try:
            # The same reads as the client's page (each comment once, its attachments beside
            # it), in a fixed number of queries; the back office also gets internal lines.
            return portal_selectors.request_page_for_user(
                self.request.user, key, at=timezone.now(), before=history_before(self.request))
        except RequestNotFound as exc:
            raise Http404(exc.message) from exc

    def page_context(self, page: portal_selectors.RequestPage, *,
                     bound: dict[str, Any] | None = None) -> dict[str, Any]:
        bound = bound or {}
        user = self.request.user
        # The one form the URL asks open (``?open=``, the link of a form not rendered yet):
        # the others are rendered only when their panel is opened (``FormSlotView``).
        open_slot = self.request.GET.get("open", "")
        request_obj = page.request
        offer = agent_page_offer(user, request_obj)
        # The queue the page was opened from: its forms keep it, so that the page an action
        # leads to offers "Demande suivante" (named in its address by the action).
        origin = queue_origin_of(self.request)
        from_query = request_page_query(origin)
        actions = [
            _action(name, request_obj, user, form=bound.get(f"transition:{name}"),
                    open_slot=open_slot, from_query=from_query)
            for name in offer.transitions
        ]
        details_form = (bound.get("details") or DetailsForm(request_obj=request_obj, user=user)
                        if offer.details else None)
        assign_form = (bound.get("assign") or AssignForm(request_obj=request_obj, user=user)
                       if offer.assign else None)
        context = {
            "req": request_obj,
            "page": page,
            "offer": offer,
            "section": "request",
            "actions": actions,
            "waiting_deadline": offer.reply_due_at,
            "comment_form": (bound.get("comment") or AgentCommentForm(prefix="comment"))
            if offer.comment else None,
            "details_form": details_form,
            "assign_form": assign_form,
            "details_render": bool(details_form and (details_form.is_bound
                                                     or open_slot == "details")),
            "assign_render": bool(assign_form and (assign_form.is_bound
                                                   or open_slot == "assign")),
            "queue_origin": origin,
            "from_query": from_query,
            "from_parameter": origin.parameter if origin else "",
            "next_request_key": next_request_key(self.request) if origin else None,
            # Its neighbours in that queue as it stands now, for j / k.
            "queue_neighbours": queue_neighbours(origin, user, request_obj,
                                                 now=timezone.now()),
            # The newest history line the page shows: it asks whether someone else changed
            # the request after it (``agent:request_changes``).
            "page_version": request_version(user, request_obj),
        }
        context.update(self.agent_context())
        return context

    def render_page(self, key: str, *, status: int = 200,
                    bound: dict[str, Any] | None = None) -> HttpResponse:
        page = self.page_read(key)
        # Older history lines alone: none of the page's forms or navigation.
        fragment = history_fragment(self.request, page)
        if fragment is not None:
            return fragment
        return render(self.request, "agent/requests/detail.html",
                      self.page_context(page, bound=bound), status=status)

    def refused(self, request_obj: Request, error: SptError, *, form: Any = None,
                bound_key: str = "") -> HttpResponse:
        """A service's refusal (``refusal_on_form``): 404, the form again with the error on
        its field, a short page for an action the page never offers (a role, a condition),
        or the page as it is now with the message (closed or changed meanwhile)."""
        if refusal_on_form(error, form):
            uploads_keep(self.request, form)
            return self.render_page(request_obj.key, status=error.status,
                                    bound={bound_key: form})
        if isinstance(error, PermissionDenied | TransitionNotAllowed):
            context = {"req": request_obj, "error": error, "section": "request"}
            context.update(self.agent_context())
            return render(self.request, "agent/requests/refused.html", context,
                          status=error.status)
        messages.error(self.request, error.message)
        return self.render_page(request_obj.key, status=error.status)


class FormSlotView(BackOfficeRequiredMixin, View):
    """GET /agent/requests/SPT-<n>/forms/<slot>/: one form of the request page, fetched by
    htmx when its panel is first opened (rendering every form on every view cost half the
    page). Without htmx, the page with that form open. A form the page would not offer this
    person now is a 404, as on the page."""

    def get(self, request: AuthenticatedHttpRequest, key: str, slot: str) -> HttpResponse:
        if not request.headers.get("HX-Request"):
            anchor = f"{slot}-panel" if slot in ("details", "assign") else f"action-{slot}"
            origin = queue_origin_of(request)
            kept = f"&{origin.parameter}" if origin else ""
            return HttpResponseRedirect(
                f"{reverse('agent:request', args=[key])}?open={slot}{kept}#{anchor}")
        request_obj = _request_or_404(request.user, key)
        offer = agent_page_offer(request.user, request_obj)
        from_query = request_page_query(queue_origin_of(request))
        context: dict[str, Any] = {"req": request_obj, "slot": slot, "from_query": from_query}
        if slot == "details" and offer.details:
            context["details_form"] = DetailsForm(request_obj=request_obj, user=request.user)
        elif slot == "assign" and offer.assign:
            context["assign_form"] = AssignForm(request_obj=request_obj, user=request.user)
        elif slot in offer.transitions:
            context["action"] = _action(slot, request_obj, request.user, open_slot=slot,
                                        from_query=from_query)
        else:
            raise Http404(_("Ce formulaire n'est pas proposé pour cette demande."))
        return render(request, "agent/requests/form_slot.html", context)


class RequestDetailView(RequestPageMixin, View):
    """/agent/requests/SPT-<n>/: what the client sees, plus internal notes, the SLO clocks
    and exactly the transitions this person's roles allow at this status."""

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        return self.render_page(key)


class AgentActionView(RequestPageMixin, View):
    """A POST action of the agent request page: refuse what the page would not offer, validate
    one form, call one service, redirect to the page with a message; or show the page again
    with the reason and the error's 4xx. Subclasses say which form and which service."""

    request: AuthenticatedHttpRequest  # behind BackOfficeRequiredMixin
    http_method_names = ["post"]
    bound_key = ""
    anchor = ""
    # What a post of this action counts against (settings.FLOOD_RATES), if anything.
    flood: str | None = None

    def precheck(self, request_obj: Request) -> SptError | None:
        """A refusal known before reading the form (the form's errors would mislead)."""
        return None

    def make_form(self, request_obj: Request) -> Any:
        raise NotImplementedError

    def perform(self, request_obj: Request, form: Any) -> str:
        """Call the service; return the success message."""
        raise NotImplementedError

    def post(self, request: HttpRequest, key: str, **kwargs: Any) -> HttpResponse:
        self.kwargs.update(kwargs)
        request_obj = _request_or_404(request.user, key)
        if self.flood is not None:
            flooded = flood_refusal(request, self.flood)
            if flooded is not None:
                return flooded
        refusal = self.precheck(request_obj)
        if refusal is not None:
            return self.refused(request_obj, refusal)
        form = self.make_form(request_obj)
        if not form.is_valid():
            uploads_keep(request, form)
            return self.render_page(key, status=400, bound={self.bound_key: form})
        # Where the request stands in the queue it was opened from, before the action moves
        # it: the page the action leads to offers the one after it ("Demande suivante").
        following = queue_following(queue_origin_of(request), request.user, request_obj,
                                    now=timezone.now())
        try:
            message = self.perform(request_obj, form)
        except SptError as error:
            return self.refused(request_obj, error, form=form, bound_key=self.bound_key)
        messages.success(request, message)
        url = reverse("agent:request", args=[request_obj.key]) + request_page_query(
            following.origin if following else None,
            following.next_key() if following else None)
        return HttpResponseRedirect(f"{url}#{self.anchor}" if self.anchor else url)


class TransitionView(AgentActionView):
    """POST /agent/requests/SPT-<n>/transition/<name>/: one workflow action, by name."""

    def post(self, request: HttpRequest, key: str, name: str) -> HttpResponse:  # type: ignore[override]
        if TRANSITIONS.get(name) is None or TRANSITIONS[name].fired_by != "agent":
            raise Http404(_("Action inconnue."))
        self.name = name
        self.bound_key = f"transition:{name}"
        return super().post(request, key)

    def precheck(self, request_obj: Request) -> SptError | None:
        shown = self.request.POST.get(f"{self.name}-expected_status", "")
        return stale_refusal(request_obj, shown) or transition_refusal(
            request_obj, self.name, self.request.user)

    def make_form(self, request_obj: Request) -> Any:
        return transition_form(self.name, request_obj=request_obj, user=self.request.user,
                               data=self.request.POST, files=self.request.FILES)

    def perform(self, request_obj: Request, form: Any) -> str:
        services.TRANSITION_SERVICES[self.name](
            actor=self.request.user, request=request_obj, **form.service_kwargs()
        )
        done = TRANSITIONS[self.name].done
        if done is not None:
            return str(done) % {"key": request_obj.key}
        return _("« %(action)s » : fait pour %(key)s.") % {
            "action": action_label(self.name), "key": request_obj.key}


class CommentView(AgentActionView):
    """POST /agent/requests/SPT-<n>/comment/: a public comment or an internal note."""

    bound_key = "comment"
    anchor = "historique"
    flood = "comment"

    def make_form(self, request_obj: Request) -> Any:
        return AgentCommentForm(self.request.POST, self.request.FILES, prefix="comment",
                                uploader=self.request.user)

    def perform(self, request_obj: Request, form: Any) -> str:
        comment = services.comment_add(actor=self.request.user, request=request_obj,
                                       **form.service_kwargs())
        if comment.is_internal:
            return _("Note interne ajoutée.")
        return _("Commentaire publié : le client le voit.")


class DetailsView(AgentActionView):
    """POST /agent/requests/SPT-<n>/details/: type, priority, module, version, environment."""

    bound_key = "details"

    def make_form(self, request_obj: Request) -> Any:
        return DetailsForm(self.request.POST, request_obj=request_obj, user=self.request.user)

    def perform(self, request_obj: Request, form: Any) -> str:
        services.request_update_details(actor=self.request.user, request=request_obj,
                                        **form.service_kwargs())
        return _("Qualification enregistrée.")


class AssignView(AgentActionView):
    """POST /agent/requests/SPT-<n>/assign/: (re)assign a request being processed."""

    bound_key = "assign"

    def make_form(self, request_obj: Request) -> Any:
        return AssignForm(self.request.POST, request_obj=request_obj, user=self.request.user)

    def perform(self, request_obj: Request, form: Any) -> str:
        services.request_assign(actor=self.request.user, request=request_obj,
                                assignee=form.cleaned_data["assignee"])
        return _("Assignation enregistrée.")


class MuteView(AgentActionView):
    """POST /agent/requests/SPT-<n>/mute/: this person's e-mails about the request."""

    def make_form(self, request_obj: Request) -> Any:
        return MuteForm(self.request.POST)

    def perform(self, request_obj: Request, form: Any) -> str:
        muted = bool(form.cleaned_data.get("muted"))
        services.notifications_mute_set(actor=self.request.user, request=request_obj,
                                        muted=muted)
        if muted:
            return _("Notifications désactivées pour cette demande.")
        return _("Notifications réactivées pour cette demande.")
