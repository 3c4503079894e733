"""Pages every audience shares: the landing redirect, health, attachment downloads and
previews, errors."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.files import File
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from requests_app import permissions, selectors, two_factor
from requests_app.attachment_types import SNIFF_BYTES, inline_type
from requests_app.downloads import ATTACHMENT_TOKEN, attachment_download_response
from requests_app.exceptions import RequestNotFound
from requests_app.models import Attachment


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


class RateLimitedLoginView(auth_views.LoginView):
    """Django's login, the one sign-in form of the portal and the admin. django-axes guards it
    (``requests_app.login_protection``): past the limit of failures it answers 429. When a
    second factor is due, the next page is the code's."""

    def get_success_url(self) -> str:
        url = super().get_success_url()
        step = two_factor.second_factor_step(self.request.user)
        if step is two_factor.Step.NONE:
            return url
        return two_factor.step_url(step, url)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, broker and file storage reachable, beat sweeping the outbox and no e-mail
    waiting too long: 200; otherwise 503, each check saying what failed (``outbox``: "stale",
    with the age in seconds of beat's last sweep and of the oldest unsent e-mail, and their
    limits). The checks: ``requests_app.health.health_report``."""
    from requests_app.health import health_report

    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)


def _attachment_file(request: HttpRequest, token: str) -> tuple[Attachment, File]:
    """The attachment behind ``token`` and its opened file, through the download's access rule
    (``attachment_get_for_user``): 404 for what this person may not see."""
    # What cannot be a token is never looked up (a NUL in it made PostgreSQL raise).
    if not ATTACHMENT_TOKEN.fullmatch(token):
        raise Http404(_("Pièce jointe introuvable."))
    try:
        attachment = selectors.attachment_get_for_user(request.user, token)
    except RequestNotFound as exc:
        raise Http404(str(exc)) from exc
    try:
        return attachment, attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("Fichier introuvable.")) from exc


def _as_download(attachment: Attachment, handle: File) -> FileResponse:
    return attachment_download_response(attachment, handle)


@login_required
@require_GET
def attachment_download(request: HttpRequest, token: str) -> FileResponse:
    """Only for people who may see the request; always a download, never rendered inline."""
    return _as_download(*_attachment_file(request, token))


# What an attachment looked at in the page may do: nothing. Its document is sandboxed (no
# script, an origin of its own) and loads nothing, shown only in the portal's own pages. The
# sandbox is the response's own: Chromium refuses to show a PDF in an <iframe sandbox>, even
# with every allow- token, but shows one whose response carries this policy.
PREVIEW_POLICY = "default-src 'none'; img-src 'self'; frame-ancestors 'self'; sandbox"


@login_required
@require_GET
@xframe_options_sameorigin
def attachment_preview(request: HttpRequest, token: str) -> FileResponse:
    """An image or PDF looked at in the page (the download's access rule). Inline only when
    its first bytes are one of those formats and the one its name says, with that type from
    our own list; anything else, SVG and HTML included, is the download."""
    attachment, handle = _attachment_file(request, token)
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    content_type = inline_type(head, declared=attachment.content_type)
    if content_type is None:
        return _as_download(attachment, handle)
    response = FileResponse(handle, as_attachment=False, filename=attachment.original_name,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = PREVIEW_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", status=400)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)
