"""What every write use case shares: lock the row, refuse a closed request, touch it."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from requests_app.exceptions import RequestClosed, RequestNotFound, StaleRequest
from requests_app.models import Request


def lock_request(request: Request | int) -> Request:
    """Re-read the request with its row locked (``SELECT … FOR UPDATE``) inside the caller's
    transaction, so that two agents acting at once are serialised."""
    pk = request if isinstance(request, int) else request.pk
    try:
        return (
            Request.objects.select_for_update()
            .select_related("request_type", "priority", "organisation")
            .get(pk=pk)
        )
    except Request.DoesNotExist as exc:
        raise RequestNotFound(_("Demande introuvable.")) from exc


def refuse_if_closed(request: Request) -> None:
    if request.is_closed:
        raise RequestClosed(
            _("La demande %(key)s est fermée : elle ne peut plus être modifiée. "
              "Créez une demande de suivi.") % {"key": request.key}
        )


def refuse_if_stale(request: Request, expected_status: str | None) -> None:
    if expected_status and request.status != expected_status:
        raise StaleRequest(
            _("La demande %(key)s a été modifiée entre-temps (statut actuel : %(status)s). "
              "Rechargez la page.")
            % {"key": request.key, "status": request.get_status_display()}
        )


def touch(request: Request, *, actor: AbstractBaseUser | None, at: datetime) -> None:
    """Record who modified the request last (seed element 10) without a full save."""
    Request.objects.filter(pk=request.pk).update(updated_at=at, updated_by=actor)
    request.updated_at = at
    request.updated_by = actor
