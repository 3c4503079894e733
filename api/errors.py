"""Every error of the API in one shape, with a stable code a client can branch on:

    {"error": {"code": "<stable_code>", "message": "<for people, in their language>",
               "fields": {"<field>": ["<message>", …]}}}

``ERROR_CODES`` lists the codes (the schema and the README show them). The domain's own
errors (``portal.errors.SptError``) keep their code and HTTP status; Django REST framework's
get the codes below. Anything else is a bug: it stays a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from portal.errors import SptError
from requests_app.exceptions import InvalidInput

NON_FIELD = "non_field_errors"

# code: (HTTP status, when). In the order the README's table shows them.
ERROR_CODES: dict[str, tuple[int, Any]] = {
    "invalid": (400, gettext_lazy("Données refusées ; « fields » dit lesquelles et pourquoi.")),
    "malformed": (400, gettext_lazy("Corps de la requête illisible (JSON mal formé).")),
    "not_authenticated": (401, gettext_lazy("Ni jeton ni session.")),
    "token_invalid": (401, gettext_lazy("Jeton inconnu ou en-tête Authorization mal formé.")),
    "token_revoked": (401, gettext_lazy("Jeton révoqué.")),
    "token_expired": (401, gettext_lazy("Jeton expiré.")),
    "account_inactive": (401, gettext_lazy("Compte ou organisation désactivé.")),
    "second_factor_required": (401, gettext_lazy(
        "Session qui doit encore passer la double authentification.")),
    "forbidden": (403, gettext_lazy("Action que vos rôles ne permettent pas.")),
    "token_read_only": (403, gettext_lazy("Écriture avec un jeton en lecture seule.")),
    "not_found": (404, gettext_lazy(
        "Adresse inconnue, ou objet introuvable ou que vous ne pouvez pas voir.")),
    "method_not_allowed": (405, gettext_lazy("Méthode HTTP non prise en charge ici.")),
    "not_acceptable": (406, gettext_lazy("Format de réponse demandé (Accept) non disponible.")),
    "transition_not_allowed": (409, gettext_lazy(
        "Transition impossible depuis le statut actuel de la demande.")),
    "stale": (409, gettext_lazy("La demande a changé entre-temps ; relisez-la.")),
    "closed": (409, gettext_lazy("La demande est fermée.")),
    "unsupported_media_type": (415, gettext_lazy("Type de contenu du corps non pris en charge.")),
    "rate_limited": (429, gettext_lazy(
        "Trop de requêtes ; réessayez après le délai de l'en-tête Retry-After.")),
}

# DRF's default codes that we name otherwise.
_DRF_CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "malformed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "token_invalid",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None
               ) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _merge(into: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for key, messages in more.items():
        into.setdefault(key, []).extend(messages)


def flatten_detail(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [messages]}, nested fields joined by dots
    (``details.users``, ``items.0.name``); errors of no field under ``non_field_errors``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = str(key)
            if name == NON_FIELD and prefix:
                name = ""
            _merge(flat, flatten_detail(value, f"{prefix}.{name}".strip(".") if name
                                        else prefix))
    elif isinstance(detail, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in detail):
            flat[prefix or NON_FIELD] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    _merge(flat, flatten_detail(item, f"{prefix}.{index}".strip(".")))
    else:
        flat[prefix or NON_FIELD] = [str(detail)]
    return flat


def _invalid(fields: dict[str, list[str]]) -> tuple[str, dict[str, list[str]]]:
    general = fields.pop(NON_FIELD, [])
    message = " ".join(general) or _("Les données envoyées ne sont pas valides.")
    return message, fields


def _drf_code(exc: exceptions.APIException) -> str:
    code = next((name for kind, name in _DRF_CODES.items() if isinstance(exc, kind)),
                getattr(exc, "default_code", "error"))
    # A code given on purpose (``AuthenticationFailed(code="token_expired")``, a permission's
    # ``code``) wins over the class's.
    detail = exc.detail
    given = getattr(detail, "code", None)
    if isinstance(given, str) and given != exc.default_code and given in ERROR_CODES:
        return given
    return code


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST framework's EXCEPTION_HANDLER: the error body, its status and headers."""
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Introuvable."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, SptError):
        fields: dict[str, list[str]] = {}
        field = getattr(exc, "field", None)
        if isinstance(exc, InvalidInput) and field:
            fields[field] = [exc.message]
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            headers["Retry-After"] = str(int(retry_after))
        return Response(error_body(exc.code, exc.message, fields), status=exc.status,
                        headers=headers)

    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        message, fields = _invalid(flatten_detail(detail))
        return Response(error_body("invalid", message, fields), status=400)

    if not isinstance(exc, exceptions.APIException):
        return None

    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled):
        headers["Retry-After"] = str(max(1, int(wait or 1)))
    code = _drf_code(exc)
    if isinstance(exc, exceptions.ValidationError):
        message, fields = _invalid(flatten_detail(exc.detail))
        return Response(error_body(code, message, fields), status=exc.status_code,
                        headers=headers)
    if isinstance(exc, exceptions.Throttled):
        message = _("Trop de requêtes. Réessayez dans %(seconds)s secondes.") % {
            "seconds": headers["Retry-After"]}
    else:
        message = " ".join(flatten_detail(exc.detail).get(NON_FIELD, [])) or str(exc)
    return Response(error_body(code, message), status=exc.status_code, headers=headers)


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any address under /api/ that names nothing: the API's 404, not the portal's page."""
    return JsonResponse(error_body("not_found", _("Adresse inconnue de l'API.")), status=404)
