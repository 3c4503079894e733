"""How many requests and comments one person may post in a while (``settings.FLOOD_RATES``),
counted once whatever the interface they post through: the pages and the REST API add to the
same counters, so that switching from one to the other gains nothing."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from django_ratelimit.core import is_ratelimited

from portal.errors import SptError

# What the refusal says, by kind of post.
FLOOD_MESSAGES = {
    "comment": gettext_lazy("Trop de commentaires en peu de temps : réessayez dans une "
                            "minute. Rien n'a été enregistré."),
    "request": gettext_lazy("Trop de demandes créées en peu de temps : réessayez plus tard. "
                            "Rien n'a été enregistré."),
}
# Seconds after which a refused person may try again (the Retry-After of the refusal).
FLOOD_RETRY_AFTER = 60


def flood_exceeded(request: HttpRequest, kind: str) -> bool:
    """Whether this person posted more ``kind`` ("comment", "request") than allowed; the
    post is counted either way."""
    return is_ratelimited(request=request, group=f"spt-flood-{kind}", key="user",
                          rate=settings.FLOOD_RATES[kind], method="POST", increment=True)


class Flooded(SptError):
    """Too many posts of one kind in a while: nothing was recorded; try again later."""

    code = "rate_limited"
    status = 429
    retry_after = FLOOD_RETRY_AFTER


def flood_check(request: HttpRequest, kind: str) -> None:
    """``Flooded`` (with its kind's message) when ``flood_exceeded``; the post is counted."""
    if flood_exceeded(request, kind):
        raise Flooded(str(FLOOD_MESSAGES[kind]))
