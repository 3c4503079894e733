"""What a call may do beyond being authenticated: a read-only token reads, never writes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from api.models import ApiToken


class TokenScopePermission(BasePermission):
    """Every unsafe method (POST, PUT, PATCH, DELETE) needs a read-write token; a session,
    or a read-write token, is limited only by the person's roles."""

    message = _("Ce jeton d'API est en lecture seule : créez un jeton « Lecture et écriture » "
                "pour modifier des données.")
    code = "token_read_only"

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.is_read_only:
            return request.method in SAFE_METHODS
        return True
