"""/api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI) from our own static files.

The schema is public: it describes the API's shape, no data, and an integrator's tools fetch
it without credentials (anonymous calls have their own, stricter rate). The documentation
page is a page of the portal: for signed-in people past their second factor, like every
other. Its start-up script is a separate file (``?script``), not an inline script, so the
portal's Content-Security-Policy applies unchanged.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, HttpResponseForbidden
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from requests_app import two_factor


class _ErrorsInJson:
    """An error of these views in the API's JSON, not in the schema's YAML or as a page."""

    request: Any

    def handle_exception(self, exc: Exception) -> Any:
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)  # type: ignore[misc]


class SchemaView(_ErrorsInJson, SpectacularAPIView):
    permission_classes = [AllowAny]


class DocsView(_ErrorsInJson, SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]  # the page's own checks below, as the portal's pages
    template_name = "api/docs.html"
    url_name = "api:schema"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        pending = two_factor.second_factor_redirect(request)
        if pending is not None:
            return pending
        if "script" in request.GET and request.headers.get("Sec-Fetch-Site") == "cross-site":
            # The start-up script carries the CSRF token: no other site may include it.
            return HttpResponseForbidden()
        return super().dispatch(request, *args, **kwargs)
