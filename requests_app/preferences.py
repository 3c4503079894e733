"""Which e-mails a person may turn off on "Mon profil", and whether they want one.

The confirmation request cannot be turned off: the requester must answer it (seed, element
8, as a muted request still sends it), nor can an account's own messages (password reset).
The kinds offered are those the person can receive: a client hears about their requests
(and is reminded when an answer of theirs is awaited), the back office also about the
customers' answers, the SLO clocks, the internal notes that mention them and, for the Daily,
the morning digest."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from requests_app.models import NotificationKind as K
from requests_app.models import Profile

ALWAYS_SENT = frozenset({K.CONFIRMATION_REQUEST, K.PASSWORD_RESET})

# In the order the profile page lists them.
CLIENT_KINDS = (K.REQUEST_RECEIVED, K.AGENT_COMMENT, K.STATUS_CHANGED,
                K.CONFIRMATION_REQUEST, K.CUSTOMER_REMINDER, K.CLOSED)
BACK_OFFICE_KINDS = (K.REQUEST_RECEIVED, K.CLIENT_COMMENT, K.AGENT_COMMENT, K.STATUS_CHANGED,
                     K.CONFIRMATION_REQUEST, K.CONFIRMED, K.DENIED, K.CLOSED, K.SLO_WARNING,
                     K.SLO_BREACHED, K.MENTION, K.DAILY_DIGEST)


def email_kinds_offered(*, back_office: bool) -> tuple[str, ...]:
    """The kinds of e-mail the profile page lists for a person of this side."""
    return BACK_OFFICE_KINDS if back_office else CLIENT_KINDS


def may_turn_off(kind: str) -> bool:
    return kind not in ALWAYS_SENT


def wants_email(person: Any, kind: str) -> bool:
    """False when ``person`` turned this kind off (their profile already loaded, as
    ``notifications.recipients_for`` selects it)."""
    if not may_turn_off(kind):
        return True
    try:
        profile = person.profile
    except Profile.DoesNotExist:
        return True
    return kind not in (profile.email_kinds_off or ())


def language_offered(code: str | None, fallback: str) -> str:
    """``code`` if the portal speaks it, else ``fallback``."""
    return code if code in {known for known, _name in settings.LANGUAGES} else fallback


def language_of(person: Any, *, fallback: str | None = None) -> str:
    """The language a person reads the portal and their e-mails in: their profile's, else
    ``fallback`` (the portal's own language unless given)."""
    profile = getattr(person, "profile", None) if person is not None else None
    return language_offered(getattr(profile, "language", ""),
                            settings.LANGUAGE_CODE if fallback is None else fallback)
