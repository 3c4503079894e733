"""Celery entry points of the request app: thin, they load by id and call ``outbox`` or a
service."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import connections

from requests_app import health, outbox
from requests_app.selectors.uploads import pending_upload_cutoff
from requests_app.services import automation, dashboard
from requests_app.services.attachments import pending_uploads_purge

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def send_outbound_message_task(self, message_id: int) -> str:
    """Send one outbox row; a second delivery of the same task sends nothing (row lock and
    state in ``outbox.outbound_message_send``)."""
    outcome = outbox.outbound_message_send(message_id=message_id)
    if outcome in (outbox.RETRY, outbox.HELD) and not self.request.is_eager:
        # The row records when it is due (a retry's back-off, or the end of the window its
        # news wait in for more); this only saves waiting for the next sweep. In-process
        # (eager) runs leave it to the sweep instead of recursing.
        try:
            self.apply_async((message_id,), countdown=outbox.retry_countdown(message_id),
                             **outbox.PUBLISH_OPTIONS)
        except Exception:  # noqa: BLE001 - the sweep sends it when it is due
            logger.warning("Could not schedule outbox message %s for when it is due",
                           message_id, exc_info=True)
    return outcome


@shared_task(ignore_result=True)
def sweep_outbox_task(grace_seconds: int | None = None) -> int:
    """Every minute (beat): publish again the rows still unsent a while after they were due,
    and leave the time of this sweep where ``/healthz`` reads it."""
    published = outbox.outbox_sweep(grace_seconds=grace_seconds)
    health.heartbeat_record(name=health.OUTBOX_SWEEP)
    return published


@shared_task(ignore_result=True)
def purge_pending_uploads_task() -> int:
    """Every hour (beat): remove the files kept for forms that were never sent again."""
    return pending_uploads_purge(before=pending_upload_cutoff())


@shared_task(ignore_result=True)
def remind_customers_task() -> int:
    """Every five minutes (beat): remind the customers whose answer is awaited since the
    configured number of business days, once per wait (``services.automation``)."""
    return automation.customer_reminders_send()


@shared_task(ignore_result=True)
def close_unanswered_requests_task() -> int:
    """Every five minutes (beat): "Clore sans réponse" past the customer's reply deadline,
    when the admin turned it on."""
    return automation.requests_close_unanswered()


@shared_task(ignore_result=True)
def send_daily_digest_task() -> int:
    """Every five minutes (beat): the morning digest to the Daily role, once per business
    day, from the configured time."""
    return automation.daily_digest_send()


@worker_ready.connect(dispatch_uid="outbox_sweep_on_worker_start")
def sweep_outbox_on_worker_start(**_kwargs: Any) -> int:
    """A worker that starts (after a crash, a deployment, an outage) sweeps at once, without
    the grace period, instead of waiting for beat: rows left by the broker being down, or by a
    worker killed mid-send whose claim has expired, go out now. A row whose task is still
    queued gets a second one, which finds it sent and does nothing. The worker starts even if
    this fails (the database not up yet): beat's sweep comes next."""
    try:
        published = outbox.outbox_sweep(grace_seconds=0)
    except Exception:  # noqa: BLE001 - never keep the worker from starting
        logger.warning("Outbox sweep at worker start failed; beat's sweep will do it",
                       exc_info=True)
        return 0
    finally:
        # Under a prefork pool the main process serves no task: no connection left idle.
        connections.close_all()
    logger.info("Outbox sweep at worker start: %s message(s) published", published)
    return published


@shared_task(ignore_result=True)
def refresh_dashboard_figures_task() -> None:
    """Every minute (beat): the dashboard's backlog and weekly figures counted again."""
    dashboard.dashboard_figures_refresh()
