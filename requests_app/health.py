"""What ``/healthz`` and ``/metrics`` tell of the background work: whether beat still sweeps
the outbox (and the SLO clocks), how long the oldest unsent e-mail (and webhook delivery) has
waited, how many tasks wait in the broker, whether the file storage answers. The outbox's and
the heartbeats' read the database only, so that they answer while Redis is down (the case
where they matter)."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from requests_app.models import OutboundMessage, WorkerHeartbeat

OUTBOX_SWEEP = "outbox-sweep"
SLO_SWEEP = "slo-sweep"
# A name no upload gets (uploads live in folders): asking whether it exists is one cheap call
# to the storage, a stat on disk or a HEAD on the bucket.
STORAGE_PROBE = "healthz-probe"

logger = logging.getLogger(__name__)

State = OutboundMessage.State


def heartbeat_record(*, name: str, now: datetime | None = None) -> None:
    """The periodic job ``name`` ran now."""
    WorkerHeartbeat.objects.update_or_create(name=name,
                                             defaults={"beat_at": now or timezone.now()})


def slo_sweep_record(*, now: datetime) -> None:
    """``SLO_SWEEP_RECORDER``: the SLO sweep ran at ``now`` (slo hands it over, never
    importing this app)."""
    heartbeat_record(name=SLO_SWEEP, now=now)


def heartbeat_age(name: str, *, now: datetime | None = None) -> int | None:
    """Seconds since the periodic job ``name`` last ran; None if it never did."""
    beat_at = (WorkerHeartbeat.objects.filter(name=name)
               .values_list("beat_at", flat=True).first())
    return _age(beat_at, now or timezone.now())


def _age(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(int((now - since).total_seconds()), 0)


def outbox_health(*, now: datetime | None = None) -> dict[str, Any]:
    """``outbox``: "ok", or "stale" when beat has not swept for
    ``OUTBOX_SWEEP_STALE_SECONDS`` (or never did) or the oldest unsent e-mail (to send or being
    sent; not those failed for good) is older than ``OUTBOX_UNSENT_STALE_SECONDS``; with both
    ages in seconds (None: no sweep yet, nothing unsent) and the thresholds."""
    now = now or timezone.now()
    sweep_age = heartbeat_age(OUTBOX_SWEEP, now=now)
    unsent_age = _age(outbox_oldest_unsent_at(), now)
    sweep_limit = int(settings.OUTBOX_SWEEP_STALE_SECONDS)
    unsent_limit = int(settings.OUTBOX_UNSENT_STALE_SECONDS)
    stale = ((sweep_age is None or sweep_age > sweep_limit)
             or (unsent_age is not None and unsent_age > unsent_limit))
    return {
        "outbox": "stale" if stale else "ok",
        "outbox_sweep_age_seconds": sweep_age,
        "outbox_sweep_stale_after_seconds": sweep_limit,
        "oldest_unsent_age_seconds": unsent_age,
        "oldest_unsent_stale_after_seconds": unsent_limit,
    }


UNSENT = [State.PENDING, State.SENDING]


def outbox_oldest_unsent_at() -> datetime | None:
    """When the oldest e-mail to send or being sent was written (None: nothing unsent)."""
    return (OutboundMessage.objects.filter(state__in=UNSENT).order_by("created_at")
            .values_list("created_at", flat=True).first())


def outbox_backlog() -> dict[str, int]:
    """Unsent e-mails per state, every unsent state present: one count over the partial
    index of unsent rows (``outbox_due``)."""
    found = dict(OutboundMessage.objects.filter(state__in=UNSENT).order_by()
                 .values("state").annotate(n=Count("*")).values_list("state", "n"))
    return {str(state): int(found.get(state, 0)) for state in UNSENT}


# --- webhook deliveries ----------------------------------------------------------------------
# The webhooks app's outbox, read through the app registry: this app does not import it.
WEBHOOK_UNDELIVERED = ("pending", "sending")


def webhook_backlog(*, now: datetime | None = None) -> dict[str, Any] | None:
    """Webhook deliveries still to be made, per state (every such state present), and the
    age in seconds of the oldest (None when there is none); None as a whole when the portal
    has no webhook deliveries. One count over the ``webhook_due`` index."""
    try:
        model = apps.get_model("webhooks", "WebhookDelivery")
    except LookupError:
        return None
    undelivered = model.objects.filter(state__in=WEBHOOK_UNDELIVERED)
    # In a savepoint: a table not migrated yet fails this read alone, not the transaction
    # around it.
    with transaction.atomic():
        counts = dict(undelivered.order_by().values("state").annotate(n=Count("*"))
                      .values_list("state", "n"))
        oldest = undelivered.aggregate(oldest=Min("created_at"))["oldest"]
    return {"by_state": {state: int(counts.get(state, 0)) for state in WEBHOOK_UNDELIVERED},
            "oldest_age_seconds": _age(oldest, now or timezone.now())}


# --- storage and broker ----------------------------------------------------------------------

def storage_health() -> str:
    """``storage``: "ok" when the default storage (the attachments') answers, otherwise
    "error: <the exception's class>"."""
    try:
        default_storage.exists(STORAGE_PROBE)
    except Exception as exc:  # noqa: BLE001 - any failure is what this check reports
        logger.warning("Health check: the file storage does not answer", exc_info=True)
        return f"error: {exc.__class__.__name__}"
    return "ok"


def celery_queue_length() -> int | None:
    """Tasks waiting in the broker's default queue; None when it cannot be told (a broker
    this does not know how to read, or one that does not answer): never an error."""
    broker_url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    queue = str(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))
    try:
        if broker_url.startswith(("redis://", "rediss://", "unix://")):
            return _redis_queue_length(broker_url, queue)
        if broker_url.startswith("filesystem://"):
            return _filesystem_queue_length(queue)
    except Exception:  # noqa: BLE001 - a metric is missing, the scrape goes on
        logger.warning("Could not read the length of the task queue", exc_info=True)
    return None


# kombu's Redis transport keeps a queue in one list per priority step: the queue's own name
# for priority 0 (every task of the portal), the name, a separator and the step for others.
_REDIS_PRIORITY_SEPARATOR = "\x06\x16"
_REDIS_PRIORITY_STEPS = (3, 6, 9)


def _redis_queue_length(broker_url: str, queue: str) -> int:
    import redis

    timeout = float(getattr(settings, "REDIS_SOCKET_TIMEOUT", 0.5))
    client = redis.Redis.from_url(
        broker_url, socket_timeout=timeout,
        socket_connect_timeout=float(getattr(settings, "REDIS_CONNECT_TIMEOUT", timeout)))
    try:
        with client.pipeline(transaction=False) as pipe:
            pipe.llen(queue)
            for step in _REDIS_PRIORITY_STEPS:
                pipe.llen(f"{queue}{_REDIS_PRIORITY_SEPARATOR}{step}")
            return sum(int(n) for n in pipe.execute())
    finally:
        client.close()


def _filesystem_queue_length(queue: str) -> int | None:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    folder = options.get("data_folder_in")
    if not folder:
        return None
    # kombu names each message "<time>_<id>.<queue>.msg".
    return sum(1 for _ in Path(folder).glob(f"*.{queue}.msg"))


# --- /healthz --------------------------------------------------------------------------------

def database_health() -> str:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure is what this check reports
        return f"error: {exc.__class__.__name__}"
    return "ok"


def broker_health() -> str:
    try:
        from portal.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"
    return "ok"


# Each must answer "ok" for /healthz to answer 200.
REQUIRED_CHECKS = ("database", "broker", "storage", "outbox")


def health_report(*, now: datetime | None = None) -> tuple[bool, dict[str, Any]]:
    """What ``/healthz`` answers: whether every check in ``REQUIRED_CHECKS`` is "ok", and
    each check (a failed one says "error: <exception class>" or, for the outbox, "stale"),
    with the outbox's ages and limits, the webhook deliveries' backlog when the portal has
    them, and the age of the last SLO sweep (for information: it does not fail the check)."""
    now = now or timezone.now()
    checks: dict[str, Any] = {"database": database_health(), "broker": broker_health(),
                              "storage": storage_health()}
    if checks["database"] == "ok":
        try:
            checks.update(outbox_health(now=now))
        except Exception as exc:  # noqa: BLE001
            checks["outbox"] = f"error: {exc.__class__.__name__}"
        try:
            backlog = webhook_backlog(now=now)
            if backlog is not None:
                checks["webhook_backlog"] = sum(backlog["by_state"].values())
                checks["oldest_undelivered_webhook_age_seconds"] = backlog["oldest_age_seconds"]
            checks["slo_sweep_age_seconds"] = heartbeat_age(SLO_SWEEP, now=now)
        except Exception as exc:  # noqa: BLE001 - informative only
            logger.warning("Health check: could not read the webhook or SLO figures: %s",
                           exc.__class__.__name__)
    healthy = all(checks.get(name) == "ok" for name in REQUIRED_CHECKS)
    return healthy, {"status": "ok" if healthy else "error", **checks}
