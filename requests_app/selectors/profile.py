"""What "Mon profil" reads: the requests the person muted, among those they may still see."""

from __future__ import annotations

from typing import Any

from requests_app.models import NotificationMute, Request
from requests_app.selectors.access import request_list_visible_to

# A person mutes a few requests; the page lists the latest ones, not an unbounded history.
MUTED_SHOWN = 100


def muted_request_list(user: Any) -> list[Request]:
    """The requests ``user`` muted and may still see, the most recently muted first."""
    mutes = (
        NotificationMute.objects.filter(user=user,
                                        request__in=request_list_visible_to(user).values("pk"))
        .select_related("request")
        .order_by("-created_at", "-pk")[:MUTED_SHOWN]
    )
    return [mute.request for mute in mutes]
