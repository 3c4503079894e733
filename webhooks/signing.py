"""How a delivery is signed, and how a receiver checks it.

Each delivery is an HTTP POST whose body is the event as JSON (UTF-8), with these headers:

- ``X-SPT-Event``: the event's kind (``commented``, ``status_changed``...);
- ``X-SPT-Delivery``: the delivery's id (a UUID), the same at every attempt: a receiver that
  already handled it answers 2xx and ignores the copy;
- ``X-SPT-Timestamp``: when this attempt was signed, in Unix seconds;
- ``X-SPT-Signature``: ``sha256=`` and the hexadecimal HMAC-SHA256, keyed with the endpoint's
  secret (its UTF-8 bytes), of the timestamp, a dot, and the body's exact bytes:
  ``HMAC(secret, "<timestamp>.<body>")``.

A receiver computes the same HMAC over the body as received (before parsing it), compares it
with the header in constant time, and refuses a timestamp more than a few minutes away from
its own clock, so that a recorded delivery cannot be replayed later (``signature_verify``
does all three).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "sha256"
# How far a receiver lets the timestamp be from its own clock, by default.
TOLERANCE_SECONDS = 300


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-SPT-Signature`` header's value for ``body`` signed at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={digest.hexdigest()}"


def signature_verify(*, secret: str, body: bytes, timestamp: str, signature_header: str,
                     now: float | None = None, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: whether the headers ``X-SPT-Timestamp`` and ``X-SPT-Signature``
    sign ``body`` with ``secret``, at a time within ``tolerance`` seconds of ``now``."""
    try:
        signed_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - signed_at) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=signed_at, body=body)
    return hmac.compare_digest(expected.encode(), (signature_header or "").encode())
