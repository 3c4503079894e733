"""The writes of the API: personal tokens created, revoked, and marked as used."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken, ApiTokenScope
from requests_app.exceptions import InvalidInput, PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# What every plain value starts with: a secret scanner (or a person) recognises one.
TOKEN_PREFIX = "spt_"
# The characters of the plain value kept in clear after the prefix, to tell tokens apart.
VISIBLE_CHARACTERS = 6
NAME_MAX_LENGTH = 80
# A person's tokens that are not revoked: more would be a leak waiting to happen.
ACTIVE_TOKENS_MAX = 20
# How stale "last used" may be: at most one write per token per interval, not one per call.
LAST_USED_INTERVAL = timedelta(minutes=1)


def token_hash_of(plain: str) -> str:
    """The stored form of a plain token value."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def _new_plain_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def api_token_create(*, owner: User, name: str, scope: str,
                     expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token of ``owner``'s, and its plain value: shown to them once, never stored."""
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Donnez un nom au jeton (par exemple celui de l'application "
                             "qui l'utilise)."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput(_("Le nom du jeton compte au plus %(max)d caractères.")
                           % {"max": NAME_MAX_LENGTH}, field="name")
    if scope not in ApiTokenScope.values:
        raise InvalidInput(_("Choisissez la portée du jeton."), field="scope")
    if not owner.is_active:
        raise PermissionDenied(_("Ce compte est désactivé."))
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(_("La date d'expiration doit être dans le futur."),
                           field="expires_at")
    plain = _new_plain_value()
    with transaction.atomic():
        # The owner's row locked: two creations at once cannot both pass the limit.
        get_user_model()._default_manager.select_for_update().filter(pk=owner.pk).first()
        active = ApiToken.objects.filter(owner=owner, revoked_at__isnull=True).count()
        if active >= ACTIVE_TOKENS_MAX:
            raise InvalidInput(_("Vous avez déjà %(max)d jetons actifs : révoquez ceux qui "
                                 "ne servent plus.") % {"max": ACTIVE_TOKENS_MAX})
        token = ApiToken.objects.create(
            owner=owner, name=name, scope=scope, expires_at=expires_at,
            prefix=plain[:len(TOKEN_PREFIX) + VISIBLE_CHARACTERS],
            token_hash=token_hash_of(plain),
        )
    return token, plain


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """``token`` stops working at once. Its owner revokes it, or an administrator (the
    admin). Revoking a revoked token changes nothing."""
    if token.owner_id != actor.pk and not actor.has_perm("api.change_apitoken"):
        raise PermissionDenied(_("Ce jeton n'est pas le vôtre."))
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
    return locked


def api_token_mark_used(*, token: ApiToken, now: datetime | None = None) -> None:
    """Remember that ``token`` was just used, at most once a ``LAST_USED_INTERVAL``: a
    single conditional UPDATE, no lock, whatever the number of calls."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_INTERVAL:
        return
    threshold = now - LAST_USED_INTERVAL
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=threshold)).update(last_used_at=now)
    token.last_used_at = now
