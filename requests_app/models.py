"""The data model of SPT requests. Rules live in workflow.py and services/, not here."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.fields.related_lookups import RelatedExact
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from requests_app.markdown import render_markdown
from requests_app.permissions import ALL_ROLES
from requests_app.workflow import (
    OPEN_STATUSES,
    ConfirmationState,
    RequestStatus,
    RequestWorkflow,
    Resolution,
)

KEY_PREFIX = "SPT-"


class Organisation(models.Model):
    name = models.CharField(_("nom"), max_length=200, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """What the portal knows of a person beyond Django's user: organisation and language."""

    class Language(models.TextChoices):
        FR = "fr", "Français"
        DE = "de", "Deutsch"
        EN = "en", "English"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="members",
        verbose_name=_("organisation"),
        help_text=_("Renseignée pour les utilisateurs clients, vide pour le personnel."),
    )
    language = models.CharField(
        _("langue préférée"), max_length=5, choices=Language.choices, default=Language.FR
    )
    # The kinds of e-mail (``NotificationKind`` values) this person turned off on "Mon profil";
    # the rule of which may be turned off lives in ``requests_app.preferences``.
    email_kinds_off = models.JSONField(_("e-mails désactivés"), default=list, blank=True)

    class Meta:
        verbose_name = _("profil")
        verbose_name_plural = _("profils")

    def __str__(self) -> str:
        return str(self.user)


class Category(models.Model):
    name = models.CharField(_("catégorie"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")

    def __str__(self) -> str:
        return self.name


class RequestType(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("type"), max_length=100)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="types", verbose_name=_("catégorie")
    )
    description = models.CharField(_("description"), max_length=300)
    subject_to_slo = models.BooleanField(_("soumis au SLO"), default=False)
    client_can_open = models.BooleanField(_("ouvrable par le client"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("type de demande")
        verbose_name_plural = _("types de demande")

    def __str__(self) -> str:
        return self.name


class Priority(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("priorité"), max_length=50)
    signification = models.CharField(_("signification"), max_length=300)
    rank = models.PositiveSmallIntegerField(
        _("rang"), default=0, help_text=_("0 = la plus urgente.")
    )

    class Meta:
        ordering = ["rank"]
        verbose_name = _("priorité")
        verbose_name_plural = _("priorités")

    def __str__(self) -> str:
        return self.name


class ErpModule(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("module"), max_length=100)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("module ERP")
        verbose_name_plural = _("modules ERP")

    def __str__(self) -> str:
        return self.name


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    TEST = "test", _("Test")
    DEVELOPMENT = "development", _("Développement")


def _save_rendered(instance: models.Model, source: str, target: str, kwargs: dict) -> None:
    """Render ``source`` (Markdown) into ``target`` before a save that writes ``source``, so
    that the stored HTML never lags behind the text, whoever saves (service, admin, shell)."""
    update_fields = kwargs.get("update_fields")
    if update_fields is None or source in update_fields:
        setattr(instance, target, str(render_markdown(getattr(instance, source))))
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, target}


# The open statuses, as the condition of the partial indexes that hold only open requests.
_OPEN = models.Q(status__in=list(OPEN_STATUSES))


def stored_html(html: str, text: str) -> SafeString:
    """The stored sanitised HTML of a text; rendered now for a row written around ``save``
    (a bulk load), which is why the text comes along."""
    if html or not text:
        return mark_safe(html)  # noqa: S308 - sanitised by requests_app.markdown when stored
    return render_markdown(text)


# The request's columns that only searches read (``Request.search_document``).
SEARCH_FIELDS = ("search_document", "search_internal")


class RequestManager(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().defer(*SEARCH_FIELDS)


class Request(RequestWorkflow):
    """A level-1 support request, known to people as ``SPT-<n>``."""

    number = models.PositiveIntegerField(_("numéro"), unique=True, editable=False)
    title = models.CharField(_("titre"), max_length=200)
    description = models.TextField(_("description"))
    # The sanitised HTML of ``description``, rendered once when it is written (``save``):
    # pages show it without running Markdown and the sanitiser on every view.
    description_html = models.TextField(editable=False, blank=True, default="")
    request_type = models.ForeignKey(
        RequestType, on_delete=models.PROTECT, related_name="requests", verbose_name=_("type")
    )
    priority = models.ForeignKey(
        Priority, on_delete=models.PROTECT, related_name="requests", verbose_name=_("priorité")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="requests",
        verbose_name=_("organisation"),
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_requests",
        verbose_name=_("demandeur"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_requests",
        verbose_name=_("créée par"),
    )
    shared_with_organisation = models.BooleanField(_("partagée avec l'organisation"), default=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="assigned_requests", verbose_name=_("assignée à"),
    )
    # Qualification details (seed element 4).
    module = models.ForeignKey(
        ErpModule, null=True, blank=True, on_delete=models.PROTECT, related_name="requests",
        verbose_name=_("module"),
    )
    version = models.CharField(_("version"), max_length=50, blank=True)
    environment = models.CharField(
        _("environnement"), max_length=20, choices=Environment.choices, blank=True
    )
    details = models.JSONField(_("champs du type"), default=dict, blank=True)
    qualified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("qualifiée par"),
    )
    qualified_at = models.DateTimeField(_("qualifiée le"), null=True, blank=True)
    rnd_reference = models.CharField(_("référence R&D"), max_length=100, blank=True)
    resolution = models.CharField(
        _("résolution"), max_length=20, choices=Resolution.choices, blank=True
    )
    follows_up = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups",
        verbose_name=_("suite de"),
    )
    confirmation_state = models.CharField(
        _("confirmation"), max_length=20, choices=ConfirmationState.choices, blank=True,
        default=ConfirmationState.NONE,
    )
    awaiting_customer_since = models.DateTimeField(
        _("en attente du client depuis"), null=True, blank=True
    )
    # Set when the request starts waiting for the client, from the business calendar: when
    # "Clore sans réponse" opens. Stored so that the workflow's condition reads a value.
    customer_reply_due_at = models.DateTimeField(
        _("réponse du client attendue avant"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("modifiée par"),
    )
    closed_at = models.DateTimeField(_("fermée le"), null=True, blank=True)
    # The nearest due and warning instants of the request's running SLO clocks (NULL when none
    # runs), stored by the services in the transaction that moves the clocks: queues sort and
    # filter by them without reading the clocks.
    slo_due_at = models.DateTimeField(_("échéance SLO la plus proche"), null=True, blank=True)
    slo_warn_at = models.DateTimeField(_("alerte SLO la plus proche"), null=True, blank=True)
    # What a search finds the request by (``requests_app.search``), normalised, written by the
    # services in the transaction that changes it: the title, description and public
    # comments; apart, for the back office only, the internal notes and the R&D reference.
    # PostgreSQL keeps a full-text vector of each (generated columns with GIN indexes,
    # migration 0012, which the model does not map). Never loaded with the request
    # (``RequestManager``): a page does not carry them, and a save cannot overwrite them.
    search_document = models.TextField(editable=False, blank=True, default="")
    search_internal = models.TextField(editable=False, blank=True, default="")

    objects = RequestManager()

    class Meta:
        ordering = ["-number"]
        verbose_name = _("demande")
        verbose_name_plural = _("demandes")
        indexes = [
            models.Index(fields=["organisation", "status"], name="req_org_status"),
            # The customer list (``portal_status_counts``, ``portal_request_rows``): each part
            # of the access rule counted from its index alone, and its latest rows in order.
            models.Index(fields=["reporter", "status", "id"], name="req_reporter_status"),
            models.Index(fields=["organisation", "status", "reporter", "id"],
                         name="req_org_shared_status",
                         condition=models.Q(shared_with_organisation=True)),
            models.Index(fields=["reporter", "updated_at", "number"],
                         name="req_reporter_updated"),
            models.Index(fields=["organisation", "updated_at", "number"],
                         name="req_org_shared_updated",
                         condition=models.Q(shared_with_organisation=True)),
            models.Index(fields=["assignee", "status"], name="req_assignee_status"),
            models.Index(fields=["status", "updated_at"], name="req_status_updated"),
            # "En attente client" and "À clôturer" (the confirmation splits one status), and
            # "Fermées récemment": counted and listed from these indexes alone.
            models.Index(fields=["status", "confirmation_state"], name="req_status_confirm"),
            models.Index(fields=["status", "closed_at"], name="req_status_closed"),
            # A queue (a status) in SLO order, the nearest due first.
            models.Index(fields=["status", "slo_due_at", "number"], name="req_status_slo_due"),
            # "SLO à risque ou dépassé": open requests past their warning instant.
            models.Index(fields=["slo_warn_at"], name="req_open_slo_warn",
                         condition=_OPEN),
            # "Toutes les demandes ouvertes" in SLO order: several statuses, one index.
            models.Index(fields=["slo_due_at", "number"], name="req_open_slo_due",
                         condition=_OPEN),
            # An open queue filtered by priority (the saved view "hautes ouvertes"): its
            # count reads its thousand entries here, not the rows (four priorities only,
            # their own index read the whole table).
            models.Index(fields=["priority", "status"], name="req_open_priority",
                         condition=_OPEN),
            # The dashboard's backlog: open requests counted per status and age from it alone.
            models.Index(fields=["status", "created_at"], name="req_open_status_created",
                         condition=_OPEN),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.number}"

    @property
    def is_closed(self) -> bool:
        return self.status == RequestStatus.CLOSED

    @property
    def description_rendered(self) -> SafeString:
        return stored_html(self.description_html, self.description)

    def save(self, *args: Any, **kwargs: Any) -> None:
        _save_rendered(self, "description", "description_html", kwargs)
        super().save(*args, **kwargs)


class _OrganisationExact(RelatedExact):
    """``organisation_id = n`` with ``n`` typed as the column (bigint) on PostgreSQL: the GIN
    index over (organisation_id, search_vector) of migration 0012 then serves a client's
    search among what their organisation shares (btree_gin compares a bigint with a bigint
    only; an untyped number is an integer). The same rows, the same comparison."""

    def process_rhs(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        sql, params = super().process_rhs(compiler, connection)
        if connection.vendor == "postgresql" and self.rhs_is_direct_value():
            sql = f"{sql}::bigint"
        return sql, params


Request._meta.get_field("organisation").register_lookup(_OrganisationExact)


class Participant(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "user"], name="participant_once")
        ]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")


class NotificationMute(models.Model):
    """A person who switched off the e-mails about one request (seed element 8)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="mutes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="request_mutes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "user"], name="mute_once")]


class Comment(models.Model):
    """A public comment, or an internal note (never shown to clients)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="request_comments"
    )
    body = models.TextField(_("commentaire"))
    # The sanitised HTML of ``body``, rendered once when it is written (see ``Request``).
    body_html = models.TextField(editable=False, blank=True, default="")
    is_internal = models.BooleanField(_("note interne"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["request", "created_at"], name="comment_req_time")]
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")

    def save(self, *args: Any, **kwargs: Any) -> None:
        _save_rendered(self, "body", "body_html", kwargs)
        super().save(*args, **kwargs)

    @property
    def body_rendered(self) -> SafeString:
        return stored_html(self.body_html, self.body)


class Mention(models.Model):
    """A colleague an internal note names (``@username``) who sees the request: their "Mes
    mentions" lists it, unread until they open the request. Written by the comment services
    (``services.mentions``); a public comment mentions nobody, as a client reads it."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    # The note's request, stored: "Mes mentions" lists and counts without reading the notes.
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="mentions")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="request_mentions",
        verbose_name=_("personne mentionnée"),
    )
    created_at = models.DateTimeField(_("mentionnée le"), default=timezone.now)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["comment", "person"], name="mention_once"),
        ]
        indexes = [
            # "Mes mentions": a person's requests, the latest mention of each first.
            models.Index(fields=["person", "request", "-created_at"], name="mention_person_req"),
            # Its count, and the read receipt of one request: the unread ones only.
            models.Index(fields=["person", "request"], name="mention_person_unread",
                         condition=models.Q(read_at__isnull=True)),
        ]
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.request_id} ({self.created_at:%Y-%m-%d %H:%M})"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never reuses the uploaded one: it is served only through a view.
    return f"attachments/{instance.request_id}/{timezone.now():%Y%m}/{instance.token}"


class Attachment(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")

    def __str__(self) -> str:
        return self.original_name


def pending_upload_path(instance: PendingUpload, filename: str) -> str:
    return f"pending/{timezone.now():%Y%m%d}/{instance.token}"


class PendingUpload(models.Model):
    """A file chosen in a form that was sent back with an error: kept for its uploader, who
    finds it listed when the form comes back, until the form succeeds (it becomes an
    ``Attachment``) or the periodic purge removes it."""

    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=pending_upload_path, max_length=300)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    size = models.PositiveIntegerField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("fichier en attente")
        verbose_name_plural = _("fichiers en attente")

    def __str__(self) -> str:
        return self.original_name


class CannedReply(models.Model):
    """A "réponse type": a text the back office inserts into a comment or an action's text,
    personal (its owner's alone) or shared with the whole back office (no owner). The title
    and the body have a column per language (``translation.py``); the placeholders they hold
    are filled for one request and one agent when inserted (``requests_app.canned_replies``).
    """

    title = models.CharField(_("titre"), max_length=120)
    body = models.TextField(_("texte"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="canned_replies", verbose_name=_("propriétaire"),
        help_text=_("Vide : la réponse type est partagée avec tout le back office."),
    )
    # The words of every language's title and body, normalised (``requests_app.search``),
    # written with them by the services (and the admin): what a search matches.
    search_text = models.TextField(editable=False, blank=True, default="")
    # Raised by every change: an edit made on an out-of-date page is refused, not lost.
    revision = models.PositiveIntegerField(_("révision"), default=1, editable=False)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("modifiée par"),
    )

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("réponse type")
        verbose_name_plural = _("réponses types")

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None


class SavedView(models.Model):
    """A queue with its filters and order, saved under a name ("Enregistrer cette vue"):
    personal, or shared with everyone who holds one back-office role. The filters are the
    queue page's query parameters as they were saved; they are checked again whenever they
    are read (``forms.saved_views``), so one that no longer exists is dropped, never an
    error."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views",
        verbose_name=_("propriétaire"),
    )
    name = models.CharField(_("nom"), max_length=80)
    queue = models.CharField(_("file d'attente"), max_length=50)
    filters = models.JSONField(_("filtres"), default=dict, blank=True)
    shared_role = models.CharField(
        _("partagée avec le rôle"), max_length=50, blank=True, default="",
        choices=[(role, role) for role in ALL_ROLES],
        help_text=_("Vide : la vue est personnelle."),
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("vue enregistrée")
        verbose_name_plural = _("vues enregistrées")
        constraints = [
            # One name once per person, whatever its case: the sidebar tells views apart by it.
            models.UniqueConstraint(models.F("owner"), Lower("name"),
                                    name="saved_view_name_once"),
        ]
        indexes = [
            # The views shared with a role, read with the person's own on every back-office
            # page: the few shared rows, not every personal one.
            models.Index(fields=["shared_role"], name="saved_view_shared",
                         condition=~models.Q(shared_role="")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return bool(self.shared_role)


class EventKind(models.TextChoices):
    CREATED = "created", _("Demande créée")
    STATUS_CHANGED = "status_changed", _("Statut modifié")
    COMMENTED = "commented", _("Commentaire")
    INTERNAL_NOTE = "internal_note", _("Note interne")
    FIELD_CHANGED = "field_changed", _("Champ modifié")
    ASSIGNED = "assigned", _("Assignation")
    ATTACHMENT_ADDED = "attachment_added", _("Pièce jointe ajoutée")
    PARTICIPANT_ADDED = "participant_added", _("Participant ajouté")
    PARTICIPANT_REMOVED = "participant_removed", _("Participant retiré")
    MUTED = "muted", _("Notifications désactivées")
    UNMUTED = "unmuted", _("Notifications réactivées")
    CONFIRMATION_REQUESTED = "confirmation_requested", _("Confirmation demandée")
    CONFIRMED = "confirmed", _("Résolution confirmée")
    DENIED = "denied", _("Résolution refusée")
    SLO_WARNING = "slo_warning", _("SLO bientôt dépassé")
    SLO_BREACHED = "slo_breached", _("SLO dépassé")
    SLO_BREACH_LIFTED = "slo_breach_lifted", _("SLO de nouveau dans les délais")
    CUSTOMER_REMINDED = "customer_reminded", _("Relance envoyée au client")
    SATISFACTION_RATED = "satisfaction_rated", _("Satisfaction notée")


class RequestEvent(models.Model):
    """One append-only line of a request's history (seed element 6)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=20, blank=True, choices=RequestStatus.choices)
    to_status = models.CharField(max_length=20, blank=True, choices=RequestStatus.choices)
    is_internal = models.BooleanField(
        default=False, help_text=_("Visible du personnel seulement.")
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["request", "-created_at"], name="event_req_time")]
        verbose_name = _("événement")
        verbose_name_plural = _("historique")

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class SatisfactionScore(models.IntegerChoices):
    VERY_DISSATISFIED = 1, _("Très insatisfait")
    DISSATISFIED = 2, _("Insatisfait")
    NEUTRAL = 3, _("Ni satisfait ni insatisfait")
    SATISFIED = 4, _("Satisfait")
    VERY_SATISFIED = 5, _("Très satisfait")


class SatisfactionRating(models.Model):
    """How satisfied the client is with the resolution they confirmed: one per request (a
    follow-up is a request of its own), given with the confirmation or just after it, and
    changed while ``rules.satisfaction_refusal`` allows (``services.satisfaction``)."""

    request = models.OneToOneField(
        Request, on_delete=models.CASCADE, primary_key=True, related_name="satisfaction",
        verbose_name=_("demande"),
    )
    rating = models.PositiveSmallIntegerField(_("note"), choices=SatisfactionScore.choices)
    comment = models.TextField(_("commentaire"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("notée par"),
    )
    # When it was first given: the month the report counts it in, whatever changes follow.
    created_at = models.DateTimeField(_("notée le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifiée le"), default=timezone.now)
    # What the report groups by, fixed when the rating is first given: the assignee when the
    # client confirmed, and the request's organisation. Kept on the row so that each of the
    # report's figures is read from one index, without a join to the requests.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("agent"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("satisfaction")
        verbose_name_plural = _("satisfactions")
        constraints = [
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5),
                                   name="satisfaction_rating_1_to_5"),
        ]
        indexes = [
            # The report: a period's ratings counted per month, agent and organisation from
            # this index alone.
            models.Index(fields=["created_at", "agent", "organisation", "rating"],
                         name="satisfaction_report"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.rating}/5"


class SatisfactionTally(models.Model):
    """How many ratings gave each note in one cell of the satisfaction report: a month (local
    time, the month of the rating's ``created_at``), the agent and the organisation the
    rating is fixed to. Kept by ``services.satisfaction`` in the rater's transaction, so that
    the unfiltered report reads a few rows per month instead of counting every rating."""

    # The first day of the month, in the portal's time zone (``selectors.satisfaction``).
    month = models.DateField(_("mois"))
    # Without a database constraint: deleting a user sets the ratings' agent to NULL, which
    # the report folds into "Non assignée"; a tally row keeps the departed agent's id and the
    # report folds it the same way (an update to NULL here would collide with that cell).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+", verbose_name=_("agent"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation"),
    )
    n1 = models.PositiveIntegerField(default=0)
    n2 = models.PositiveIntegerField(default=0)
    n3 = models.PositiveIntegerField(default=0)
    n4 = models.PositiveIntegerField(default=0)
    n5 = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # One row per cell. Two partial constraints rather than one: a unique constraint
            # treats NULLs as distinct, and "no agent" is a cell of its own.
            models.UniqueConstraint(fields=["month", "agent", "organisation"],
                                    condition=models.Q(agent__isnull=False),
                                    name="satisfaction_one_tally_per_cell"),
            models.UniqueConstraint(fields=["month", "organisation"],
                                    condition=models.Q(agent__isnull=True),
                                    name="satisfaction_one_unassigned_tally_per_cell"),
        ]
        indexes = [
            # The report's read: the months of the period.
            models.Index(fields=["month", "agent", "organisation"],
                         name="satisfaction_tally_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agent_id} {self.organisation_id}"


class DashboardFigures(models.Model):
    """The dashboard's figures over every request — the open backlog per status and age, the
    requests created and closed per week — as beat last computed them (one row, every
    minute: ``services.dashboard``). The back office's dashboard reads them instead of
    counting a backlog of any size while the reader waits."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    computed_at = models.DateTimeField(_("calculés le"))
    # {open status: [count per age bucket]}, the buckets of ``selectors.dashboard``.
    backlog = models.JSONField(default=dict)
    # [[Monday "YYYY-MM-DD", created, closed], …], oldest first.
    weeks = models.JSONField(default=list)

    class Meta:
        verbose_name = _("chiffres du tableau de bord")
        verbose_name_plural = _("chiffres du tableau de bord")

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M}"


class KeyCounter(models.Model):
    """Hands out gapless ``SPT-<n>`` numbers; the row is locked while a request is created."""

    name = models.CharField(max_length=30, primary_key=True)
    value = models.PositiveIntegerField(default=0)


class NotificationKind(models.TextChoices):
    """What an e-mail is about; each has its templates ``emails/<kind>_{subject,body}``."""

    REQUEST_RECEIVED = "request_received", _("Demande reçue")
    STATUS_CHANGED = "status_changed", _("Changement de statut")
    AGENT_COMMENT = "agent_comment", _("Réponse du Customer Service")
    CLIENT_COMMENT = "client_comment", _("Commentaire du client")
    CONFIRMATION_REQUEST = "confirmation_request", _("Demande de confirmation")
    CONFIRMED = "confirmed", _("Résolution confirmée")
    DENIED = "denied", _("Résolution refusée")
    SLO_WARNING = "slo_warning", _("SLO bientôt dépassé")
    SLO_BREACHED = "slo_breached", _("SLO dépassé")
    CLOSED = "closed", _("Demande fermée")
    MENTION = "mention", _("Mention dans une note interne")
    CUSTOMER_REMINDER = "customer_reminder", _("Relance : votre réponse est attendue")
    DAILY_DIGEST = "daily_digest", _("Synthèse du matin")
    # About a person's account, not a request: the row has no request nor event.
    PASSWORD_RESET = "password_reset", _("Réinitialisation du mot de passe")


class OutboundMessage(models.Model):
    """One e-mail of the outbox, written in the transaction of the event that causes it and
    sent by the worker after commit (``requests_app.outbox``). Never deleted by the code: it is
    the record of what was sent, to whom, and why a send failed."""

    class State(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENDING = "sending", _("Envoi en cours")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec définitif")
        # Went out inside another row's e-mail (``merged_into``): news of one request for one
        # person within a few moments make one e-mail (``outbox``).
        MERGED = "merged", _("Regroupé")

    # Empty for an e-mail about an account (password reset) or about several requests (the
    # morning digest), set for every other kind.
    request = models.ForeignKey(
        Request, null=True, blank=True, on_delete=models.CASCADE,
        related_name="outbound_messages", verbose_name=_("demande"),
    )
    event = models.ForeignKey(
        RequestEvent, null=True, blank=True, on_delete=models.CASCADE,
        related_name="outbound_messages", verbose_name=_("événement"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("destinataire"),
    )
    to_address = models.EmailField(_("adresse"), max_length=254)
    language = models.CharField(_("langue"), max_length=5)
    kind = models.CharField(_("type"), max_length=30, choices=NotificationKind.choices)
    subject = models.CharField(_("objet"), max_length=400)
    body_text = models.TextField(_("texte"))
    body_html = models.TextField(_("HTML"))
    state = models.CharField(
        _("état"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    # Pending: when to try (again); sending: when the claim of a crashed worker expires.
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="merged",
        verbose_name=_("envoyé avec"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("e-mail sortant")
        verbose_name_plural = _("e-mails sortants")
        constraints = [
            # One e-mail per person and event, however often the event is handled.
            models.UniqueConstraint(fields=["event", "recipient"], name="outbox_once"),
            # Only an e-mail about an account, or the digest of several requests, goes
            # without a request and its event.
            models.CheckConstraint(
                condition=models.Q(kind__in=["password_reset", "daily_digest"])
                | models.Q(request__isnull=False, event__isnull=False),
                name="outbox_request_unless_account",
            ),
            # A merged row names the e-mail it went out in, and only a merged row does.
            models.CheckConstraint(
                condition=models.Q(state="merged", merged_into__isnull=False)
                | (~models.Q(state="merged") & models.Q(merged_into__isnull=True)),
                name="outbox_merged_into_one",
            ),
        ]
        indexes = [
            # The sweep reads only unsent rows that are due: a small partial index.
            models.Index(
                fields=["next_attempt_at"], name="outbox_due",
                condition=models.Q(state__in=["pending", "sending"]),
            ),
            models.Index(fields=["request", "-created_at"], name="outbox_req_time"),
        ]

    def __str__(self) -> str:
        return f"{self.to_address} {self.kind} ({self.state})"


class WorkerHeartbeat(models.Model):
    """When a periodic job last ran, by name ("outbox-sweep"): written by the job itself, read
    by ``/healthz``. In the database rather than the cache, so that the web process can tell
    beat stopped even while Redis is down."""

    name = models.CharField(_("nom"), max_length=50, primary_key=True)
    beat_at = models.DateTimeField(_("dernier passage"))

    class Meta:
        verbose_name = _("passage périodique")
        verbose_name_plural = _("passages périodiques")

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"


class AutomationSettings(models.Model):
    """What the portal does by itself, run by Celery beat (``services.automation``): one row,
    edited in the admin. Without the row, the defaults below hold."""

    SINGLETON_PK = 1

    reminder_enabled = models.BooleanField(
        _("relancer le client"), default=True,
        help_text=_("Un e-mail au demandeur et aux participants quand une demande attend leur "
                    "réponse depuis le nombre de jours ouvrés ci-dessous, une fois par attente."),
    )
    reminder_business_days = models.PositiveSmallIntegerField(
        _("relance après (jours ouvrés)"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    auto_close_enabled = models.BooleanField(
        _("clore sans réponse automatiquement"), default=False,
        help_text=_("« Clore sans réponse » fait au nom de la personne assignée dès que le délai "
                    "de réponse du client est passé (CUSTOMER_WAIT_BUSINESS_DAYS jours ouvrés), "
                    "avec le commentaire ci-dessous."),
    )
    # Translated (``translation.py``): the customer reads the one of the reporter's language.
    auto_close_comment = models.TextField(
        _("commentaire au client de la clôture automatique"), blank=True,
        max_length=2000,
        help_text=_("Vide : le texte standard, dans la langue du demandeur."),
    )
    digest_enabled = models.BooleanField(
        _("synthèse du matin au Daily"), default=True,
        help_text=_("Les demandes ouvertes dont un SLO est à risque ou dépassé, chaque jour "
                    "ouvré ; rien n'est envoyé quand il n'y en a aucune."),
    )
    digest_time = models.TimeField(
        _("heure de la synthèse"), default=time(8, 0),
        help_text=_("Heure du calendrier ouvré (Europe/Zurich par défaut)."),
    )

    class Meta:
        verbose_name = _("automatisation")
        verbose_name_plural = _("automatisations")

    def __str__(self) -> str:
        return str(_("Automatisations"))


class AutomationRun(models.Model):
    """A job of ``services.automation`` that runs once per business day (the morning digest),
    recorded when it ran: the unique day is what makes a second beat run do nothing."""

    job = models.CharField(_("tâche"), max_length=30)
    day = models.DateField(_("jour"))
    ran_at = models.DateTimeField(_("passage"))
    sent = models.PositiveIntegerField(_("e-mails"), default=0)

    class Meta:
        ordering = ["-day", "job"]
        verbose_name = _("passage d'automatisation")
        verbose_name_plural = _("passages d'automatisation")
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="automation_once")]

    def __str__(self) -> str:
        return f"{self.job} {self.day:%Y-%m-%d}"
