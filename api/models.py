"""Personal API tokens: a person's key for the REST API, for their scripts and their ERP.

Only a hash of the token is stored (SHA-256: the value is 256 random bits, so a slow hash
would add nothing but time to every call); the plain value is shown once, at creation. Its
first characters (``prefix``) are kept in clear so that a person recognises a token in a
list, in a log or in a secret scanner's alert, as GitHub's ``ghp_…`` tokens are.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiTokenScope(models.TextChoices):
    READ = "read", _("Lecture seule")
    READ_WRITE = "read-write", _("Lecture et écriture")


class ApiToken(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="api_tokens", verbose_name=_("propriétaire"))
    name = models.CharField(_("nom"), max_length=80)
    scope = models.CharField(_("portée"), max_length=10, choices=ApiTokenScope.choices,
                             default=ApiTokenScope.READ)
    # The visible start of the plain value ("spt_" and a few characters), not a secret.
    prefix = models.CharField(_("début du jeton"), max_length=16, editable=False)
    # SHA-256 of the plain value, in hexadecimal: what a call's token is looked up by.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True,
                                        editable=False)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_read_only(self) -> bool:
        return self.scope != ApiTokenScope.READ_WRITE

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, *, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_usable(self) -> bool:
        return not self.is_revoked() and not self.is_expired()
