"""The retry timing shared by every outbox of the portal (e-mails, webhook deliveries): how
long a row waits after a failure, and how many attempts it gets before it is marked failed.
The values come from the environment, checked at start-up (``portal.settings.timings``)."""

from __future__ import annotations

from django.conf import settings

# Past this many doublings the ceiling holds anyway: the exponent stays small, so a high
# attempt count never builds a huge integer.
_DOUBLINGS_MAX = 32


def backoff_seconds(attempts: int) -> int:
    """The wait after the ``attempts``-th failure: ``OUTBOX_BACKOFF_BASE_SECONDS`` doubled at
    each failure, at most ``OUTBOX_BACKOFF_MAX_SECONDS`` (1, 2, 4 … minutes, at most an hour
    by default)."""
    doublings = min(max(attempts - 1, 0), _DOUBLINGS_MAX)
    return min(int(settings.OUTBOX_BACKOFF_BASE_SECONDS) * 2 ** doublings,
               int(settings.OUTBOX_BACKOFF_MAX_SECONDS))


def max_attempts() -> int:
    """After this many attempts a row is marked failed (visible in the admin, which can
    re-send it): ``OUTBOX_MAX_ATTEMPTS``, about a day of outage by default."""
    return int(settings.OUTBOX_MAX_ATTEMPTS)


def sweep_grace_seconds() -> int:
    """How long after it was due a row must still be unsent before the sweep publishes it
    again, so that the sweep does not race the task published on commit."""
    return int(settings.OUTBOX_SWEEP_GRACE_SECONDS)
