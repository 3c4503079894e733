"""Role gates for the three audiences and the one way domain errors reach people."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from portal.errors import SptError
from requests_app import permissions
from requests_app.exceptions import RequestNotFound


class ClientRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Customer pages: a client of an organisation."""

    raise_exception = False

    def test_func(self) -> bool:
        return permissions.is_client(self.request.user)


class BackOfficeRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Back-office pages: agents, sales administration, administrators."""

    def test_func(self) -> bool:
        return permissions.is_back_office(self.request.user)


class AgentRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    def test_func(self) -> bool:
        return permissions.is_agent(self.request.user)


class SalesAdminRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    def test_func(self) -> bool:
        return permissions.is_sales_admin(self.request.user)


def error_response(
    request: HttpRequest, error: SptError, *, template: str = "partials/error_page.html"
) -> HttpResponse:
    """A refusal as a page with the message and the error's 4xx status; an invisible request
    is a plain 404 so that nothing leaks."""
    if isinstance(error, RequestNotFound):
        raise Http404(error.message)
    messages.error(request, error.message)
    return render(request, template, {"error": error}, status=error.status)
