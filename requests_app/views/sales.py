"""Sales administration pages (under /agent/): a Licence request opened on behalf of a client
contact, who becomes its reporter and follows it in the portal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from portal.errors import SptError
from requests_app import services
from requests_app.forms.agent import LicenceForm
from requests_app.models import RequestType
from requests_app.people import person_name
from requests_app.views.agent import AgentPageMixin
from requests_app.views.mixins import (
    AuthenticatedHttpRequest,
    SalesAdminRequiredMixin,
    flood_refusal,
    refusal_on_form,
)

LICENCE_TYPE_CODE = "licence"


class LicenceCreateView(SalesAdminRequiredMixin, AgentPageMixin, View):
    """/agent/licences/new/: "Nouvelle licence" (administration des ventes only)."""

    template_name = "sales/licences/form.html"

    def render_form(self, form: LicenceForm, *, status: int = 200) -> HttpResponse:
        context: dict[str, Any] = {"form": form, "section": "licence"}
        context.update(self.agent_context())
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_form(LicenceForm())

    def post(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        flooded = flood_refusal(request, "request")
        if flooded is not None:
            return flooded
        form = LicenceForm(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)
        data = form.cleaned_data
        licence_type = RequestType.objects.filter(code=LICENCE_TYPE_CODE).first()
        if licence_type is None:
            form.add_error(None, _("Le type de demande « Licence » n'est pas configuré."))
            return self.render_form(form, status=400)
        try:
            created = services.request_create(
                actor=request.user, request_type=licence_type, title=data["title"],
                description=data["description"], priority=data["priority"],
                organisation=data["organisation"], reporter=data["reporter"],
                details=form.details(),
            )
        except SptError as error:
            if not refusal_on_form(error, form):
                messages.error(request, error.message)
            return self.render_form(form, status=error.status)
        messages.success(request, _(
            "Demande de licence %(key)s créée pour le compte de %(person)s (%(org)s) : "
            "elle la voit dans son portail."
        ) % {"key": created.key, "person": person_name(data["reporter"]),
             "org": data["organisation"]})
        return HttpResponseRedirect(reverse("agent:request", args=[created.key]))
