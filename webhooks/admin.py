"""The endpoints (registered by an administrator) and the log of their deliveries."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy, ngettext

from portal.admin_input import AdminInputMixin
from webhooks import services
from webhooks.kinds import ALL_KINDS, ALL_KINDS_LABEL, event_kind_choices
from webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    # An address typed without its scheme is taken as https, never as plain http.
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https",
                         help_text=gettext_lazy("Adresse http ou https à laquelle les "
                                                "événements sont envoyés (POST)."))
    event_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Événements"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Les types d'événements envoyés ; aucun : rien n'est envoyé."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "event_kinds", "include_internal", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["event_kinds"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(ALL_KINDS, ALL_KINDS_LABEL), *event_kind_choices()]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AdminInputMixin, admin.ModelAdmin):
    """An endpoint is deactivated rather than deleted: its deliveries stay on record. Its
    secret signs every delivery (X-SPT-Signature): give it to the receiver; "Régénérer"
    makes a new one, which the receiver must then be given."""

    form = WebhookEndpointForm
    list_display = ("name", "url", "is_active", "include_internal", "kinds", "created_at")
    list_filter = ("is_active", "include_internal")
    search_fields = ("name", "url")
    readonly_fields = ("secret", "created_at")
    actions = ["regenerate_secret"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["name", "url", "event_kinds", "include_internal", "is_active"]
        # The secret is generated on creation, shown from then on.
        return fields + (["secret", "created_at"] if obj is not None else [])

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("événements"))
    def kinds(self, endpoint: WebhookEndpoint) -> str:
        if ALL_KINDS in endpoint.event_kinds:
            return str(ALL_KINDS_LABEL)
        labels = dict(event_kind_choices())
        return ", ".join(str(labels.get(kind, kind)) for kind in endpoint.event_kinds) or "—"

    @admin.action(description=gettext_lazy("Régénérer le secret de signature"))
    def regenerate_secret(self, request: HttpRequest, queryset: Any) -> None:
        count = services.webhook_endpoint_secret_regenerate(queryset)
        self.message_user(request, ngettext(
            "Nouveau secret pour %(count)d point de terminaison : donnez-le au destinataire.",
            "Nouveau secret pour %(count)d points de terminaison : donnez-le aux "
            "destinataires.", count,
        ) % {"count": count})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AdminInputMixin, admin.ModelAdmin):
    """What was posted where, and why a delivery failed; rows are written and posted by the
    outbox only. "Renvoyer" puts failed deliveries back in the queue, with the same delivery
    id (the receiver ignores a copy it already handled)."""

    list_display = ("created_at", "endpoint", "event_kind", "event_id", "state", "attempts",
                    "last_status_code", "short_error", "next_attempt_at", "delivered_at")
    list_filter = ("state", "event_kind", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("delivery_id", "event_id")
    date_hierarchy = "created_at"
    readonly_fields = ("endpoint", "event_kind", "event_id", "delivery_id", "payload",
                       "state", "attempts", "next_attempt_at", "claimed_until",
                       "last_status_code", "last_error", "created_at", "delivered_at")
    actions = ["resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("dernière erreur"))
    def short_error(self, delivery: WebhookDelivery) -> str:
        return delivery.last_error[:80]

    @admin.action(description=gettext_lazy("Renvoyer les livraisons en échec sélectionnées"))
    def resend(self, request: HttpRequest, queryset: Any) -> None:
        count = services.webhook_deliveries_requeue(queryset)
        self.message_user(request, ngettext(
            "%(count)d livraison remise dans la file d'envoi.",
            "%(count)d livraisons remises dans la file d'envoi.", count,
        ) % {"count": count})
