"""Celery entry points of the webhooks: thin, they call ``services``."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import connections

from webhooks import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def deliver_webhook_task(self: Any, delivery_id: int) -> str:
    """Post one delivery; a second run of the same task posts nothing (row lock and state in
    ``services.webhook_delivery_send``)."""
    outcome = services.webhook_delivery_send(delivery_id=delivery_id)
    if outcome == services.RETRY and not self.request.is_eager:
        # The row records when it is due; this only saves waiting for the next sweep.
        # In-process (eager) runs leave it to the sweep instead of recursing.
        try:
            self.apply_async((delivery_id,), countdown=services.retry_countdown(delivery_id),
                             **services.PUBLISH_OPTIONS)
        except Exception:  # noqa: BLE001 - the sweep sends it when it is due
            logger.warning("Could not schedule webhook delivery %s for when it is due",
                           delivery_id, exc_info=True)
    return outcome


@shared_task(ignore_result=True)
def sweep_webhook_deliveries_task(grace_seconds: int | None = None) -> int:
    """Every minute (beat): publish again the deliveries left behind."""
    return services.webhook_deliveries_sweep(grace_seconds=grace_seconds)


@worker_ready.connect(dispatch_uid="webhook_sweep_on_worker_start")
def sweep_webhooks_on_worker_start(**_kwargs: Any) -> int:
    """A worker that starts sweeps at once, without the grace period, as for the e-mails:
    deliveries left by a broker down or a worker killed mid-send go out now. The worker
    starts even if this fails (the database not up yet): beat's sweep comes next."""
    try:
        published = services.webhook_deliveries_sweep(grace_seconds=0)
    except Exception:  # noqa: BLE001 - never keep the worker from starting
        logger.warning("Webhook sweep at worker start failed; beat's sweep will do it",
                       exc_info=True)
        return 0
    finally:
        # Under a prefork pool the main process serves no task: no connection left idle.
        connections.close_all()
    logger.info("Webhook sweep at worker start: %s delivery(ies) published", published)
    return published
