"""Pending uploads: the files a form sent back with an error kept for the person who chose
them, and for nobody else."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from requests_app.models import PendingUpload


def pending_upload_cutoff(*, at: datetime | None = None) -> datetime:
    """Pending uploads kept before this instant are gone, whether purged yet or not."""
    return (at or timezone.now()) - timedelta(hours=settings.PENDING_UPLOAD_MAX_AGE_HOURS)


def pending_upload_list_for_owner(
    owner: User | AnonymousUser, tokens: Iterable[str], *, at: datetime | None = None
) -> list[PendingUpload]:
    """The owner's own pending uploads among ``tokens``, oldest first; anyone else's token,
    an expired one or one already used names nothing."""
    tokens = list(dict.fromkeys(tokens))
    if not tokens or not owner.is_authenticated:
        return []
    return list(PendingUpload.objects.filter(
        owner=owner, token__in=tokens, created_at__gte=pending_upload_cutoff(at=at),
    ).order_by("created_at", "pk"))
