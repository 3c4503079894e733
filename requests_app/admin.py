"""Configuration in the Django admin. Reference data is edited per language (French, German,
English; French where a translation is missing). Requests are read-only here: every change
goes through the services, so the status and the history stay right."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy, ngettext
from modeltranslation.admin import TranslationAdmin

from portal.admin_input import AdminInputMixin
from requests_app import outbox
from requests_app.models import (
    Category,
    ErpModule,
    NotificationKind,
    Organisation,
    OutboundMessage,
    Priority,
    Profile,
    Request,
    RequestEvent,
    RequestType,
    WorkerHeartbeat,
)

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fk_name = "user"


# The portal's name, not Django's, in every admin page's title and header.
admin.site.site_header = gettext_lazy("SPT Portal — Administration")
admin.site.site_title = gettext_lazy("SPT Portal — Administration")
admin.site.index_title = gettext_lazy("Administration du portail")

admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(AdminInputMixin, UserAdmin):
    inlines = [ProfileInline]
    list_display = ("username", "email", "first_name", "last_name", "organisation", "is_active")
    list_select_related = ("profile__organisation",)
    list_filter = ("is_active", "is_staff", "groups", "profile__organisation")

    @admin.display(description="Organisation")
    def organisation(self, user):
        profile = getattr(user, "profile", None)
        return profile.organisation if profile else ""


@admin.register(Organisation)
class OrganisationAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ("name", "is_active", "created_at")
    search_fields = ("name",)


@admin.register(Category)
class CategoryAdmin(AdminInputMixin, TranslationAdmin):
    list_display = ("name", "position")


@admin.register(RequestType)
class RequestTypeAdmin(AdminInputMixin, TranslationAdmin):
    list_display = ("name", "category", "subject_to_slo", "client_can_open", "is_active")
    list_filter = ("category", "subject_to_slo", "client_can_open")


@admin.register(Priority)
class PriorityAdmin(AdminInputMixin, TranslationAdmin):
    list_display = ("name", "rank", "signification")


@admin.register(ErpModule)
class ErpModuleAdmin(AdminInputMixin, TranslationAdmin):
    list_display = ("name", "code", "is_active")


class ReadOnlyAdmin(AdminInputMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Request)
class RequestAdmin(ReadOnlyAdmin):
    list_display = ("key", "title", "status", "request_type", "priority", "organisation",
                    "assignee", "created_at")
    list_filter = ("status", "request_type", "priority", "organisation")
    list_select_related = ("request_type", "priority", "organisation", "assignee")
    search_fields = ("title", "number")


@admin.register(RequestEvent)
class RequestEventAdmin(ReadOnlyAdmin):
    list_display = ("request", "kind", "actor", "created_at", "is_internal")
    list_filter = ("kind", "is_internal")
    list_select_related = ("request", "actor")


# --- the outbox ----------------------------------------------------------------------------

@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    """What was sent to whom, and why a send failed; rows are written and sent by the outbox
    only. "Re-send" puts rows back in the queue (a failed one after a fixed mail server, or a
    sent one a person says they never got). A row "Regroupé" went out inside the e-mail it
    names (news close together, ``outbox``): re-send that one."""

    list_display = ("created_at", "request", "kind", "to_address", "language", "state",
                    "sent_with", "attempts", "short_error", "next_attempt_at", "sent_at")
    list_filter = ("state", "kind", "language")
    list_select_related = ("request",)
    search_fields = ("to_address", "subject", "request__number")
    date_hierarchy = "created_at"
    readonly_fields = ("request", "event", "recipient", "to_address", "language", "kind",
                       "subject", "state", "merged_into", "merged_rows", "attempts",
                       "last_error", "next_attempt_at", "sent_at", "created_at", "body_text",
                       "body_html")
    raw_id_fields = ("request", "event", "recipient", "merged_into")
    actions = ["resend"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or super().has_view_permission(request, obj)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and obj.kind == NotificationKind.PASSWORD_RESET:
            # Its body holds a working reset link: not for anyone's eyes but the recipient's.
            fields = [name for name in fields if name not in ("body_text", "body_html")]
        return fields

    @admin.display(description=gettext_lazy("dernière erreur"))
    def short_error(self, message: OutboundMessage) -> str:
        return message.last_error[:80]

    @admin.display(description=gettext_lazy("envoyé avec"))
    def sent_with(self, message: OutboundMessage) -> str:
        if message.merged_into_id is None:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:requests_app_outboundmessage_change", args=[message.merged_into_id]),
            gettext("dans l’e-mail n° %(id)s") % {"id": message.merged_into_id},
        )

    @admin.display(description=gettext_lazy("regroupe aussi"))
    def merged_rows(self, message: OutboundMessage) -> str:
        rows = list(message.merged.order_by("created_at", "pk").values_list("pk", "kind"))
        if not rows:
            return "—"
        return format_html_join(", ", '<a href="{}">n° {} ({})</a>', (
            (reverse("admin:requests_app_outboundmessage_change", args=[pk]), pk,
             NotificationKind(kind).label) for pk, kind in rows))

    @admin.action(description=gettext_lazy("Renvoyer les e-mails sélectionnés"))
    def resend(self, request, queryset) -> None:
        count = outbox.outbound_messages_requeue(queryset)
        self.message_user(request, ngettext(
            "%(count)d e-mail remis dans la file d'envoi.",
            "%(count)d e-mails remis dans la file d'envoi.", count,
        ) % {"count": count})


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    """When beat's periodic jobs last ran (what ``/healthz`` reports)."""

    list_display = ("name", "beat_at")
