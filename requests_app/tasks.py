"""Celery entry points of the request app: thin, they load by id and call ``outbox``."""

from __future__ import annotations

import logging

from celery import shared_task

from requests_app import outbox

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def send_outbound_message_task(self, message_id: int) -> str:
    """Send one outbox row; a second delivery of the same task sends nothing (row lock and
    state in ``outbox.outbound_message_send``)."""
    outcome = outbox.outbound_message_send(message_id=message_id)
    if outcome == "retry" and not self.request.is_eager:
        # The back-off is recorded on the row; this only saves waiting for the next sweep.
        # In-process (eager) runs leave the retry to the sweep instead of recursing.
        try:
            self.apply_async((message_id,), countdown=outbox.retry_countdown(message_id),
                             **outbox.PUBLISH_OPTIONS)
        except Exception:  # noqa: BLE001 - the sweep sends it when it is due
            logger.warning("Could not schedule the retry of outbox message %s", message_id,
                           exc_info=True)
    return outcome


@shared_task(ignore_result=True)
def sweep_outbox_task(grace_seconds: int | None = None) -> int:
    """Every minute (beat): publish again the rows still unsent a while after they were due."""
    return outbox.outbox_sweep(grace_seconds=grace_seconds)
