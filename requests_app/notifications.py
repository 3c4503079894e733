"""Who hears about which event: outbox rows written in the event's transaction.

``queue_for_event`` is called by ``events.py`` for every event it records.
"""

from __future__ import annotations

from requests_app.models import RequestEvent


def queue_for_event(event: RequestEvent) -> None:
    """Write the outbox rows this event causes (none yet: the notifications issue)."""
