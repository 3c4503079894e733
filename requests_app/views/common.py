"""Pages every audience shares: the landing redirect, health, attachment downloads, errors."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

from requests_app import permissions, selectors
from requests_app.exceptions import RequestNotFound


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if permissions.is_back_office(user) and (permissions.roles_of(user) or not user.is_staff):
        return redirect("agent:home")
    if permissions.is_client(user):
        return redirect("portal:home")
    if user.is_staff:
        return redirect("admin:index")
    return render(request, "partials/no_role.html", status=403)


@method_decorator(
    ratelimit(key="post:username", rate="10/m", method="POST", block=False), name="post"
)
@method_decorator(ratelimit(key="ip", rate="30/m", method="POST", block=False), name="post")
class RateLimitedLoginView(auth_views.LoginView):
    """Django's login, slowed down for password guessing: past the limit it answers 429."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if getattr(request, "limited", False):
            return render(request, "registration/login.html",
                          {"form": self.get_form(), "rate_limited": True}, status=429)
        return super().post(request, *args, **kwargs)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachable: 200, otherwise 503 with what failed."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is what this page reports
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        from portal.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks},
                        status=200 if healthy else 503)


@login_required
@require_GET
def attachment_download(request: HttpRequest, token: str) -> FileResponse:
    """Only for people who may see the request; always a download, never rendered inline."""
    try:
        attachment = selectors.attachment_get_for_user(request.user, token)
    except RequestNotFound as exc:
        raise Http404(str(exc)) from exc
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("Fichier introuvable.")) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)
