"""The endpoints an administrator registered, and the outbox of their deliveries."""

from __future__ import annotations

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webhooks.kinds import ALL_KINDS, event_kind_values


def secret_generate() -> str:
    """A new signing key: 256 random bits, printable so that it is pasted into a receiver."""
    return secrets.token_urlsafe(32)


def event_kinds_validate(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(kind, str) for kind in value):
        raise ValidationError(_("Une liste de types d'événements est attendue."))
    unknown = sorted(set(value) - {ALL_KINDS, *event_kind_values()})
    if unknown:
        raise ValidationError(_("Types d'événements inconnus : %(kinds)s."),
                              params={"kinds": ", ".join(unknown)})


class WebhookEndpoint(models.Model):
    """A receiver of the events of requests: a back-office integration an administrator
    registered. Deactivated rather than deleted, so that its deliveries stay on record and no
    event written at the same moment points at a row gone."""

    name = models.CharField(_("nom"), max_length=100)
    url = models.URLField(
        _("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Adresse http ou https à laquelle les événements sont envoyés (POST)."),
    )
    # Kept as it is: it signs every delivery, so it must be readable (not a hash).
    secret = models.CharField(_("secret de signature"), max_length=100,
                              default=secret_generate)
    event_kinds = models.JSONField(
        _("événements"), default=list, blank=True, validators=[event_kinds_validate],
        help_text=_("Les types d'événements envoyés ; aucun : rien n'est envoyé."),
    )
    include_internal = models.BooleanField(
        _("événements internes"), default=False,
        help_text=_("Envoyer aussi les événements internes (notes internes, pièces jointes "
                    "internes, SLO). Le texte d'une note interne n'est jamais envoyé."),
    )
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("point de terminaison webhook")
        verbose_name_plural = _("points de terminaison webhook")

    def __str__(self) -> str:
        return self.name

    def subscribes_to(self, kind: str) -> bool:
        return ALL_KINDS in self.event_kinds or kind in self.event_kinds


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction of the event, posted by the
    worker after commit (``webhooks.services``). Never deleted by the code: the record of what
    was delivered and why a delivery failed."""

    class State(models.TextChoices):
        PENDING = "pending", _("À envoyer")
        SENDING = "sending", _("Envoi en cours")
        DELIVERED = "delivered", _("Livré")
        FAILED = "failed", _("Échec définitif")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries", verbose_name=_("point de terminaison"))
    event_kind = models.CharField(_("événement"), max_length=30)
    # The RequestEvent's id, not a foreign key: webhooks knows nothing of the request app.
    event_id = models.BigIntegerField(_("n° d'événement"))
    # Sent as X-SPT-Delivery, the same at every attempt: the receiver's key to ignore a copy.
    delivery_id = models.UUIDField(_("identifiant de livraison"), default=uuid.uuid4,
                                   unique=True, editable=False)
    payload = models.JSONField(_("contenu"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices,
                             default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    # Pending: when to try (again).
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), default=timezone.now)
    # Sending: when the claim of a worker that died mid-send expires.
    claimed_until = models.DateTimeField(_("réservé jusqu'au"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("dernier code HTTP"), null=True,
                                                        blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    delivered_at = models.DateTimeField(_("livré le"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("livraison webhook")
        verbose_name_plural = _("livraisons webhook")
        constraints = [
            # One delivery per event and endpoint, however often the event is handled.
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_once"),
        ]
        indexes = [
            # The sweep: unsent rows by when they are due, and claims by when they expire.
            models.Index(fields=["state", "next_attempt_at"], name="webhook_due"),
            models.Index(fields=["state", "claimed_until"], name="webhook_claim_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_kind} #{self.event_id} → {self.endpoint_id}"
