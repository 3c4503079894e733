"""Configuration in the Django admin. Reference data is edited per language (French, German,
English; French where a translation is missing). Requests are read-only here: every change
goes through the services, so the status and the history stay right."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy, ngettext
from modeltranslation.admin import TranslationAdmin

from portal.admin_input import AdminInputMixin
from requests_app import outbox
from requests_app.canned_replies import canned_reply_search_text
from requests_app.forms.canned_replies import CannedReplyAdminForm
from requests_app.models import (
    AutomationRun,
    AutomationSettings,
    CannedReply,
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
    SavedView,
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


class CannedReplyScopeFilter(admin.SimpleListFilter):
    title = gettext_lazy("portée")
    parameter_name = "portee"

    def lookups(self, request, model_admin):
        return [("shared", gettext_lazy("Partagée")), ("personal", gettext_lazy("Personnelle"))]

    def queryset(self, request, queryset):
        if self.value() == "shared":
            return queryset.filter(owner__isnull=True)
        if self.value() == "personal":
            return queryset.filter(owner__isnull=False)
        return queryset


@admin.register(CannedReply)
class CannedReplyAdmin(AdminInputMixin, TranslationAdmin):
    """Canned replies per language, any person's: the back office manages its own at
    /agent/canned-replies/; here an administrator fixes or hands one over (the same rules on
    the texts, ``CannedReplyAdminForm``)."""

    form = CannedReplyAdminForm
    list_display = ("title", "owner", "updated_at", "updated_by")
    list_filter = (CannedReplyScopeFilter,)
    list_select_related = ("owner", "updated_by")
    search_fields = ("title_fr", "title_de", "title_en", "search_text")
    readonly_fields = ("revision", "created_at", "updated_at", "updated_by")

    def save_model(self, request, obj, form, change):
        texts = form.texts
        for code, title in texts.titles.items():
            setattr(obj, f"title_{code}", title)
            setattr(obj, f"body_{code}", texts.bodies[code])
        obj.search_text = canned_reply_search_text(texts)
        if change:
            obj.revision += 1
        obj.updated_at = timezone.now()
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


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


# --- what the portal does by itself (services.automation, run by beat) ---------------------

@admin.register(SavedView)
class SavedViewAdmin(AdminInputMixin, admin.ModelAdmin):
    """Any person's saved views, to look at and remove (someone who left, a shared view
    nobody wants): they are saved and renamed on the queue pages, with their rules."""

    list_display = ("name", "owner", "queue", "shared_role", "updated_at")
    list_filter = ("shared_role",)
    list_select_related = ("owner",)
    search_fields = ("name", "owner__username", "owner__last_name")
    readonly_fields = ("owner", "name", "queue", "filters", "shared_role", "created_at",
                       "updated_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AutomationSettings)
class AutomationSettingsAdmin(AdminInputMixin, TranslationAdmin):
    """One row: the customer reminder, the automatic "Clore sans réponse" and the morning
    digest, each turned on or off here (the jobs read it at every run)."""

    fieldsets = [
        (gettext_lazy("Relance du client"),
         {"fields": ("reminder_enabled", "reminder_business_days")}),
        (gettext_lazy("Clore sans réponse automatiquement"),
         {"fields": ("auto_close_enabled", "auto_close_comment")}),
        (gettext_lazy("Synthèse du matin au Daily"),
         {"fields": ("digest_enabled", "digest_time")}),
    ]
    list_display = ("__str__", "reminder_enabled", "reminder_business_days",
                    "auto_close_enabled", "digest_enabled", "digest_time")

    def has_add_permission(self, request):
        return (super().has_add_permission(request)
                and not AutomationSettings.objects.exists())

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # A list of one row: straight to it (or to its creation, before the first save).
        found = AutomationSettings.objects.order_by("pk").first()
        if found is not None:
            return HttpResponseRedirect(
                reverse("admin:requests_app_automationsettings_change", args=[found.pk]))
        if self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:requests_app_automationsettings_add"))
        return super().changelist_view(request, extra_context)


@admin.register(AutomationRun)
class AutomationRunAdmin(ReadOnlyAdmin):
    """When the once-a-day jobs ran (the morning digest) and how many e-mails they wrote."""

    list_display = ("day", "job", "ran_at", "sent")
