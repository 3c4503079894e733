"""Personal API tokens in the admin: seen (never their value: it is not stored), revoked."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.models import ApiToken
from api.services import api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "scope", "prefix", "created_at", "last_used_at",
                    "expires_at", "revoked_at")
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "owner__username", "owner__email")
    list_select_related = ("owner",)
    readonly_fields = ("owner", "name", "scope", "prefix", "created_at", "last_used_at",
                       "expires_at", "revoked_at")
    exclude = ("token_hash",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A token is created by its owner, who alone sees its value once.
        return False

    @admin.action(description=_("Révoquer les jetons sélectionnés"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
        self.message_user(request, ngettext("%(count)d jeton révoqué.",
                                            "%(count)d jetons révoqués.", len(tokens))
                          % {"count": len(tokens)}, messages.SUCCESS)
