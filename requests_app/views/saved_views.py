"""The saved views' actions, posted from a queue page: "Enregistrer cette vue", "Renommer",
"Supprimer". Each parses its form, calls one service and redirects; a refusal shows the queue
page again with the reason and the error's 4xx, nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from portal.errors import SptError
from portal.input_bounds import pk_from_input
from requests_app.exceptions import SavedViewNotFound
from requests_app.forms.agent import QueueFilterForm
from requests_app.forms.saved_views import (
    SavedViewForm,
    SavedViewRead,
    SavedViewRenameForm,
    queue_filter_query,
    saved_view_read,
)
from requests_app.selectors.saved_views import saved_view_get_for_user
from requests_app.services.saved_views import (
    saved_view_create,
    saved_view_delete,
    saved_view_rename,
)
from requests_app.views.agent import QueueView
from requests_app.views.mixins import AuthenticatedHttpRequest, refusal_on_form


class _SavedViewActionView(QueueView):
    """A POST about saved views from a queue page; a refusal renders that page again."""

    http_method_names = ["post"]

    def refused(self, error: SptError, *, form: Any = None, key: str = "") -> HttpResponse:
        if isinstance(error, SavedViewNotFound):
            raise Http404(error.message)
        if refusal_on_form(error, form):
            return self.page_again({key: form}, status=error.status)
        messages.error(self.request, error.message)
        return self.page_again({}, status=error.status)

    def page_again(self, bound: dict[str, Any], *, status: int = 400) -> HttpResponse:
        self.object_list = self.get_queryset()
        context = self.get_context_data(saved_view_forms=bound)
        return self.render_to_response(context, status=status)


class SavedViewCreateView(_SavedViewActionView):
    """POST /agent/queues/<queue>/views/new/: this queue with the filters and order posted
    with the form (the page's own, as its address had them), saved under a name."""

    def filter_data(self) -> Any:
        return self.request.POST

    def shown_view(self) -> str | None:
        return None

    def post(self, request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SavedViewForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.page_again({"save": form})
        filters = QueueFilterForm(request.POST, default_sort=self.queue.default_sort)
        try:
            view = saved_view_create(
                owner=request.user, name=form.cleaned_data["name"], queue=self.queue.slug,
                filters=queue_filter_query(filters),
                shared_role=form.cleaned_data["shared_role"])
        except SptError as error:
            return self.refused(error, form=form, key="save")
        if view.shared_role:
            text = _("Vue « %(name)s » enregistrée et partagée avec le rôle %(role)s.")
        else:
            text = _("Vue « %(name)s » enregistrée : vous la retrouvez dans la navigation.")
        messages.success(request, text % {"name": view.name, "role": view.shared_role})
        return HttpResponseRedirect(saved_view_read(view).url)


class _OneSavedViewActionView(_SavedViewActionView):
    """An action on one saved view (``pk`` in the address), which the person may see and
    which shows this queue: the page it refuses on is that view's."""

    read: SavedViewRead

    def post(self, request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        pk = pk_from_input(kwargs.get("pk"))
        try:
            view = saved_view_get_for_user(request.user, pk) if pk else None
        except SavedViewNotFound:
            view = None
        if view is None:
            raise Http404(_("Vue enregistrée introuvable."))
        self.read = saved_view_read(view)
        if self.read.queue.slug != self.queue.slug:
            raise Http404(_("Vue enregistrée introuvable."))
        return self.act(request)

    def act(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        raise NotImplementedError

    def filter_data(self) -> Any:
        return self.read.query

    def shown_view(self) -> str | None:
        return str(self.read.pk)


class SavedViewRenameView(_OneSavedViewActionView):
    """POST /agent/queues/<queue>/views/<pk>/rename/."""

    def act(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        form = SavedViewRenameForm(request.POST)
        if not form.is_valid():
            return self.page_again({"rename": form})
        try:
            view = saved_view_rename(actor=request.user, view=self.read.pk,
                                     name=form.cleaned_data["name"])
        except SptError as error:
            return self.refused(error, form=form, key="rename")
        messages.success(request, _("Vue renommée « %(name)s ».") % {"name": view.name})
        return HttpResponseRedirect(saved_view_read(view).url)


class SavedViewDeleteView(_OneSavedViewActionView):
    """POST /agent/queues/<queue>/views/<pk>/delete/: the view goes; the page stays on its
    queue and filters, which the person may save again."""

    def act(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        try:
            view = saved_view_delete(actor=request.user, view=self.read.pk)
        except SptError as error:
            return self.refused(error)
        messages.success(request, _("Vue « %(name)s » supprimée.") % {"name": view.name})
        url = reverse("agent:queue", args=[self.queue.slug])
        return HttpResponseRedirect(f"{url}?{urlencode(self.read.query)}" if self.read.query
                                    else url)
