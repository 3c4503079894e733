"""The outbox's and the webhooks' timings, read from the environment and checked once at
start-up: a value that cannot work (not a number, a claim shorter than the longest send, a
back-off whose ceiling is under its first wait...) stops the process with a message naming
the variable, rather than showing up weeks later as lost or duplicated e-mails.

Pure functions of a mapping (``os.environ`` in ``base.py``), so that they are tested without
starting Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

DAY = 86400


def _whole(environ: Mapping[str, str], name: str, default: int, *, least: int,
           most: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {raw!r}.") from None
    if not least <= value <= most:
        raise ImproperlyConfigured(
            f"{name} ({value}) must be between {least} and {most}.")
    return value


def outbox_timings(environ: Mapping[str, str], *, longest_send: int) -> dict[str, int]:
    """The outbox's settings: the claim on a row being sent (``OUTBOX_CLAIM_SECONDS``, longer
    than ``longest_send``, by default by a minute), how long after it was due an unsent row
    waits for the sweep (``OUTBOX_SWEEP_GRACE_SECONDS``), the back-off between two attempts
    (``OUTBOX_BACKOFF_BASE_SECONDS`` doubled at each failure up to
    ``OUTBOX_BACKOFF_MAX_SECONDS``) and the attempts before a row is marked failed
    (``OUTBOX_MAX_ATTEMPTS``). Raises ``ImproperlyConfigured`` on a value that cannot work."""
    claim = _whole(environ, "OUTBOX_CLAIM_SECONDS", longest_send + 60, least=1, most=7 * DAY)
    if claim <= longest_send:
        raise ImproperlyConfigured(
            f"OUTBOX_CLAIM_SECONDS ({claim}) must outlast the longest send, "
            f"{longest_send} s with the SMTP timeouts (EMAIL_TIMEOUT, EMAIL_DATA_TIMEOUT)."
        )
    base = _whole(environ, "OUTBOX_BACKOFF_BASE_SECONDS", 60, least=1, most=DAY)
    ceiling = _whole(environ, "OUTBOX_BACKOFF_MAX_SECONDS", max(3600, base), least=1,
                     most=7 * DAY)
    if ceiling < base:
        raise ImproperlyConfigured(
            f"OUTBOX_BACKOFF_MAX_SECONDS ({ceiling}) must be at least "
            f"OUTBOX_BACKOFF_BASE_SECONDS ({base}).")
    return {
        "OUTBOX_CLAIM_SECONDS": claim,
        "OUTBOX_SWEEP_GRACE_SECONDS": _whole(environ, "OUTBOX_SWEEP_GRACE_SECONDS", 60,
                                             least=0, most=DAY),
        "OUTBOX_BACKOFF_BASE_SECONDS": base,
        "OUTBOX_BACKOFF_MAX_SECONDS": ceiling,
        "OUTBOX_MAX_ATTEMPTS": _whole(environ, "OUTBOX_MAX_ATTEMPTS", 30, least=1, most=1000),
    }


def webhook_timings(environ: Mapping[str, str]) -> dict[str, float | int]:
    """``WEBHOOK_TIMEOUT_SECONDS``: how long a delivery waits for the receiver (to connect,
    then for each read of its answer), from 0.5 to 120 s, 10 by default; and the claim on a
    delivery being sent, derived from it (``WEBHOOK_CLAIM_SECONDS``: connection and answer,
    plus a minute), so that the sweep never hands a delivery still under way to another
    worker. The back-off and the attempts are the outbox's."""
    raw = environ.get("WEBHOOK_TIMEOUT_SECONDS", "").strip()
    try:
        timeout = float(raw) if raw else 10.0
    except ValueError:
        raise ImproperlyConfigured(
            f"WEBHOOK_TIMEOUT_SECONDS must be a number of seconds, not {raw!r}.") from None
    if not (math.isfinite(timeout) and 0.5 <= timeout <= 120):
        raise ImproperlyConfigured(
            f"WEBHOOK_TIMEOUT_SECONDS ({raw}) must be between 0.5 and 120 seconds.")
    return {"WEBHOOK_TIMEOUT_SECONDS": timeout,
            "WEBHOOK_CLAIM_SECONDS": math.ceil(2 * timeout) + 60}
