"""Who is calling the API: a personal token (``Authorization: Bearer <token>``, or
``Token <token>``), or the browser's session (with its CSRF check).

A token acts as its owner with the owner's roles as they are at each call: it never grants
more than the person has, and a role taken away is gone for the token at once. The scope
(read or read-write) can only narrow that (``api.permissions``).

A session that still owes its second factor gets no API data (401 ``second_factor_required``):
the second-factor middleware leaves the API's addresses to this class, which answers in the
API's format rather than with a redirect to a page. A token needs no second factor: it was
created from a session that passed it.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.request import Request

from api.models import ApiToken
from api.selectors import TokenRefused, api_token_authenticate
from api.services import api_token_mark_used
from requests_app import two_factor
from requests_app.preferences import language_of

KEYWORDS = (b"bearer", b"token")


def asked_language(header: str) -> str | None:
    """The first language of an Accept-Language header that the portal speaks."""
    for code, _quality in parse_accept_lang_header(header[:500]):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return None


class ApiTokenAuthentication(BaseAuthentication):
    """A personal API token in the Authorization header. No header, or another scheme: not
    this class's business (the session may still authenticate the call)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("En-tête Authorization mal formé : « Bearer <jeton> » attendu."),
                code="token_invalid")
        try:
            plain = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Jeton d'API inconnu."),
                                                  code="token_invalid") from None
        try:
            token = api_token_authenticate(plain)
        except TokenRefused as error:
            raise exceptions.AuthenticationFailed(error.message, code=error.code) from None
        api_token_mark_used(token=token)
        owner = token.owner
        # The caller's language: the one it asks for, else its owner's (as their e-mails);
        # not a cookie's, which a client keeping cookies would get from an earlier answer.
        language = asked_language(request.META.get("HTTP_ACCEPT_LANGUAGE", "")) \
            or language_of(owner)
        translation.activate(language)
        request._request.LANGUAGE_CODE = language
        return owner, token

    def authenticate_header(self, request: Request) -> str:
        # Also makes an unauthenticated call a 401 (not a 403): DRF asks the first class.
        return 'Bearer realm="api"'


class ApiSessionAuthentication(SessionAuthentication):
    """The browser's session (its CSRF token checked on writes), once past the second factor
    when one is due."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        user = getattr(request._request, "user", None)
        if not user or not user.is_active:
            return None
        if two_factor.second_factor_step(user) is not two_factor.Step.NONE:
            raise exceptions.AuthenticationFailed(
                _("Saisissez d'abord votre code de double authentification dans le portail."),
                code="second_factor_required")
        self.enforce_csrf(request)
        return user, None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token in the schema: an HTTP bearer scheme."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http", "scheme": "bearer",
            "description": _("Jeton d'API personnel, créé sur « Mon profil » : "
                             "« Authorization: Bearer spt_… »."),
        }


class ApiSessionScheme(OpenApiAuthenticationExtension):
    """The session cookie in the schema (the browser; writes also need the CSRF header)."""

    target_class = ApiSessionAuthentication
    name = "sessionCookie"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        from django.conf import settings

        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
