"""What every write use case shares: fetch the request through the access rule with its row
locked, then refuse — in this order, so that only someone who sees the request ever hears why
— a page that is out of date and a closed request."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from requests_app.exceptions import InvalidInput
from requests_app.models import Request
from requests_app.rules import closed_refusal, stale_refusal
from requests_app.selectors import request_get_for_update


def request_for_change(
    actor: User, request: Request | int, *, expected_status: str | None = None,
    closed_allowed: bool = False,
) -> Request:
    """The first step of every write service, inside its transaction: the request as it is
    now, locked, if ``actor`` may see it (``RequestNotFound`` otherwise); then "modifiée
    entre-temps" when it is no longer in the status the page showed, and "fermée" (Fermé is
    final) unless the action concerns only the person (``closed_allowed``)."""
    locked = request_get_for_update(actor, request)
    refuse_if_stale(locked, expected_status)
    if not closed_allowed:
        refuse_if_closed(locked)
    return locked


def refuse_if_closed(request: Request) -> None:
    refusal = closed_refusal(request)
    if refusal is not None:
        raise refusal


def refuse_if_stale(request: Request, expected_status: str | None) -> None:
    refusal = stale_refusal(request, expected_status)
    if refusal is not None:
        raise refusal


def text_length_check(text: str, *, field: str | None) -> None:
    """No comment, note or action text longer than ``settings.COMMENT_MAX_LENGTH``: one
    flood of characters would make every later page of the request heavy."""
    limit = settings.COMMENT_MAX_LENGTH
    if len(text) > limit:
        raise InvalidInput(
            _("Le texte dépasse %(max)d caractères (%(length)d) : raccourcissez-le ou "
              "joignez-le en fichier.") % {"max": limit, "length": len(text)},
            field=field,
        )


def touch(request: Request, *, actor: User | None, at: datetime) -> None:
    """Record who modified the request last (seed element 10) without a full save."""
    Request.objects.filter(pk=request.pk).update(updated_at=at, updated_by=actor)
    request.updated_at = at
    request.updated_by = actor
