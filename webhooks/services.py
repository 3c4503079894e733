"""The outbox of webhook deliveries: rows first, posted only after the transaction that wrote
them has committed, never inside the user's request.

The request app's event writer calls ``webhook_deliveries_record`` for each event: one row per
active endpoint subscribed to its kind, in the event's transaction, and its task published
with ``transaction.on_commit``. With no endpoint, that costs no query (``selectors``). The
task claims the row under a row lock (``pending`` → ``sending``, ``claimed_until`` set), posts
it outside any transaction, then marks it ``delivered``; a second run of the same task finds
it claimed or delivered and does nothing. A 2xx answer is a delivery; any other answer, a
redirect (never followed) or a network error puts the row back to ``pending`` with a later
``next_attempt_at`` (the outbox's exponential back-off, ``OUTBOX_BACKOFF_*``), and after
``OUTBOX_MAX_ATTEMPTS`` marks it ``failed``, for the admin to re-send. The beat sweep
re-publishes rows due for a while and claims expired (a broker down at commit, a worker that
died mid-send, a retry whose task was lost).

The claim (``WEBHOOK_CLAIM_SECONDS``) outlasts the longest post (``WEBHOOK_TIMEOUT_SECONDS``
to connect and to each read of the answer). A worker dying after the receiver took the post
and before the row is marked delivered leaves the one window for a duplicate: the stable
``X-SPT-Delivery`` lets the receiver recognise it. The signing scheme is in ``signing``.
"""

from __future__ import annotations

import json
import logging
import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.retries import backoff_seconds, max_attempts, sweep_grace_seconds
from webhooks.models import WebhookDelivery, WebhookEndpoint, secret_generate
from webhooks.selectors import subscribers_for
from webhooks.signing import signature

logger = logging.getLogger(__name__)

State = WebhookDelivery.State

# What ``webhook_delivery_send`` did.
DELIVERED, SKIPPED, RETRY, FAILED = "delivered", "skipped", "retry", "failed"

SWEEP_BATCH = 500
# As the e-mail outbox: one more try at once, not kombu's seconds of retries, since the
# user's request waits for the publish and the sweep makes up for it.
PUBLISH_OPTIONS = {"retry": True, "retry_policy": {
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}}
# Of the receiver's answer, only this much is read, and kept as the error of a failure.
ANSWER_KEPT_BYTES = 500
USER_AGENT = "SPT-Portal-Webhooks/1"


# --- timings (the back-off, attempts and grace are every outbox's: portal.retries) ---------

def claim_seconds() -> int:
    return int(settings.WEBHOOK_CLAIM_SECONDS)


def timeout_seconds() -> float:
    return float(settings.WEBHOOK_TIMEOUT_SECONDS)


# --- recording, with the event ---------------------------------------------------------------

def webhook_deliveries_record(*, event_id: int, kind: str, is_internal: bool,
                              payload: Callable[[], dict[str, Any]]) -> list[int]:
    """One delivery of the event per active endpoint subscribed to ``kind`` (an internal
    event only to those taking internal events), written in the caller's transaction and
    published after its commit. ``payload`` builds the body, called only when some endpoint
    wants it. Returns the deliveries' ids."""
    subscribers = subscribers_for(kind=kind, is_internal=is_internal)
    if not subscribers:
        return []
    # Stored as JSON gives it back: the body is the same at every attempt.
    body = json.loads(json.dumps(payload(), cls=DjangoJSONEncoder))
    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(endpoint_id=subscriber.pk, event_kind=kind, event_id=event_id,
                        payload=body, next_attempt_at=now, created_at=now)
        for subscriber in subscribers
    ])
    ids = [row.pk for row in rows if row.pk is not None]
    publish_on_commit(ids)
    return ids


# --- publishing ------------------------------------------------------------------------------

def publish(delivery_ids: Iterable[int], *, countdown: int = 0) -> list[int]:
    """Hand deliveries to the worker. A broker that is down only delays them (the sweep
    publishes them again): this never fails the caller. Returns the ids published."""
    from webhooks.tasks import deliver_webhook_task

    timing = {"countdown": countdown} if countdown > 0 else {}
    published: list[int] = []
    for delivery_id in delivery_ids:
        try:
            deliver_webhook_task.apply_async((delivery_id,), **timing, **PUBLISH_OPTIONS)
        except Exception:  # noqa: BLE001 - the row stays pending; the sweep sends it
            logger.warning("Broker unavailable: webhook delivery %s left for the sweep",
                           delivery_id, exc_info=True)
            break  # down for the rest of them too: do not make the caller wait
        published.append(delivery_id)
    return published


def publish_on_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        transaction.on_commit(lambda: publish(delivery_ids), robust=True)


def retry_countdown(delivery_id: int) -> int:
    """Seconds until the delivery's next attempt, as its last failure recorded it."""
    due = (WebhookDelivery.objects.filter(pk=delivery_id)
           .values_list("next_attempt_at", flat=True).first())
    if due is None:
        return backoff_seconds(1)
    return max(math.ceil((due - timezone.now()).total_seconds()), 1)


# --- sending ---------------------------------------------------------------------------------

def webhook_delivery_claim(*, delivery_id: int, now: datetime | None = None
                           ) -> WebhookDelivery | None:
    """Lock the row and take it for sending; None when there is nothing to send (delivered
    or failed for good, claimed by another live worker, or gone). A row of an endpoint
    deactivated since is marked failed instead: re-send it once the endpoint is active."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update(of=("self",))
                    .select_related("endpoint").filter(pk=delivery_id).first())
        if delivery is None or delivery.state in (State.DELIVERED, State.FAILED):
            return None
        if (delivery.state == State.SENDING and delivery.claimed_until is not None
                and delivery.claimed_until > now):
            return None
        if not delivery.endpoint.is_active:
            delivery.state = State.FAILED
            delivery.last_error = "Endpoint deactivated: not sent."
            delivery.claimed_until = None
            delivery.save(update_fields=["state", "last_error", "claimed_until"])
            return None
        delivery.state = State.SENDING
        delivery.attempts += 1
        delivery.claimed_until = now + timedelta(seconds=claim_seconds())
        delivery.save(update_fields=["state", "attempts", "claimed_until"])
    return delivery


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: the signed body goes only where the
    administrator said."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def body_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode()


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """Post the delivery; (the HTTP status, "") on a 2xx, else (the status or None, why)."""
    endpoint = delivery.endpoint
    if urlsplit(endpoint.url).scheme not in ("http", "https"):
        return None, "Only http and https URLs are posted to."
    body = body_bytes(delivery.payload)
    timestamp = int(time.time())
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-SPT-Event": delivery.event_kind,
        "X-SPT-Delivery": str(delivery.delivery_id),
        "X-SPT-Timestamp": str(timestamp),
        "X-SPT-Signature": signature(secret=endpoint.secret, timestamp=timestamp, body=body),
    })
    try:
        with _OPENER.open(request, timeout=timeout_seconds()) as answer:
            status = answer.status
            answer.read(ANSWER_KEPT_BYTES)
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(ANSWER_KEPT_BYTES).decode(errors="replace")
        except Exception:  # noqa: BLE001 - the status says enough
            text = ""
        finally:
            exc.close()
        return exc.code, f"HTTP {exc.code}: {text}".strip()[:2000]
    except Exception as exc:  # noqa: BLE001 - a network error of any kind is retried
        return None, f"{exc.__class__.__name__}: {exc}"[:2000]
    if 200 <= status < 300:
        return status, ""
    return status, f"HTTP {status}"


def webhook_delivery_send(*, delivery_id: int, now: datetime | None = None) -> str:
    """Post one delivery at most once (row lock and state). Returns what happened:
    ``delivered``, ``skipped``, ``retry`` (pending again, ``next_attempt_at`` set) or
    ``failed``."""
    delivery = webhook_delivery_claim(delivery_id=delivery_id, now=now)
    if delivery is None:
        return SKIPPED
    status, error = _post(delivery)
    finished = timezone.now()
    if not error:
        _mark_delivered(delivery, status=status, at=finished)
        return DELIVERED
    final = delivery.attempts >= max_attempts()
    WebhookDelivery.objects.filter(pk=delivery.pk, state=State.SENDING).update(
        state=State.FAILED if final else State.PENDING, last_status_code=status,
        last_error=error, claimed_until=None,
        next_attempt_at=finished + timedelta(seconds=backoff_seconds(delivery.attempts)))
    logger.warning("Webhook delivery %s to endpoint %s: attempt %s failed (%s)%s",
                   delivery.pk, delivery.endpoint_id, delivery.attempts, error,
                   ", giving up" if final else "")
    return FAILED if final else RETRY


# After a delivery, the "delivered" update is tried again on a fresh connection, waiting 0.5,
# 1, 2 … seconds in between, and given up this long before the claim expires (past it, the
# sweep may hand the row to another worker).
DELIVERED_RETRY_FIRST_WAIT = 0.5
DELIVERED_RETRY_MARGIN_SECONDS = 20


def _mark_delivered(delivery: WebhookDelivery, *, status: int | None, at: datetime,
                    sleep: Callable[[float], None] = time.sleep) -> bool:
    """Record that the receiver took the delivery. A database connection lost between the
    post and this update must not leave the row claimed (it would be posted again once the
    claim expired): the update is retried on a new connection while the claim lasts, as the
    e-mail outbox does. Returns whether it was recorded."""
    assert delivery.claimed_until is not None
    deadline = delivery.claimed_until - timedelta(seconds=DELIVERED_RETRY_MARGIN_SECONDS)
    wait = DELIVERED_RETRY_FIRST_WAIT
    while True:
        try:
            WebhookDelivery.objects.filter(pk=delivery.pk, state=State.SENDING).update(
                state=State.DELIVERED, delivered_at=at, last_status_code=status,
                last_error="", claimed_until=None)
            return True
        except (OperationalError, InterfaceError) as exc:
            if timezone.now() + timedelta(seconds=wait) >= deadline:
                logger.error("Webhook delivery %s was delivered but could not be marked so "
                             "(%s): it will be posted again when its claim expires",
                             delivery.pk, exc)
                return False
            logger.warning("Webhook delivery %s delivered but not yet marked so (%s); "
                           "trying again on a new connection in %.1f s", delivery.pk, exc, wait)
            connection.close()  # the next query opens a new one; no transaction is open
            sleep(wait)
            wait *= 2


# --- the sweep and the admin's actions -------------------------------------------------------

def webhook_delivery_ids_due(*, now: datetime | None = None,
                             grace_seconds: int | None = None) -> list[int]:
    """Deliveries the sweep publishes again: pending and due for a while, or claimed by a
    worker whose claim expired a while ago."""
    now = now or timezone.now()
    grace = sweep_grace_seconds() if grace_seconds is None else grace_seconds
    cutoff = now - timedelta(seconds=grace)
    return list(
        WebhookDelivery.objects.filter(
            Q(state=State.PENDING, next_attempt_at__lte=cutoff)
            | Q(state=State.SENDING, claimed_until__lte=cutoff)
        ).order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def webhook_deliveries_sweep(*, now: datetime | None = None,
                             grace_seconds: int | None = None) -> int:
    """Publish again the deliveries left behind; each is then left alone by the next sweeps
    for the grace period, so that a busy worker is not flooded with copies of one task.
    Returns how many were published."""
    now = now or timezone.now()
    grace = sweep_grace_seconds() if grace_seconds is None else grace_seconds
    cutoff = now - timedelta(seconds=grace)
    published = publish(webhook_delivery_ids_due(now=now, grace_seconds=grace))
    if published:
        # Only rows nobody touched since they were read: a failure meanwhile set its own
        # back-off.
        WebhookDelivery.objects.filter(
            pk__in=published, state=State.PENDING, next_attempt_at__lte=cutoff
        ).update(next_attempt_at=now)
        WebhookDelivery.objects.filter(
            pk__in=published, state=State.SENDING, claimed_until__lte=cutoff
        ).update(claimed_until=now)
    return len(published)


def webhook_deliveries_requeue(queryset: QuerySet[WebhookDelivery]) -> int:
    """The admin's "Renvoyer": failed deliveries back to pending with a fresh count of
    attempts, published after commit. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(WebhookDelivery.objects.select_for_update()
                   .filter(pk__in=queryset.values("pk"), state=State.FAILED)
                   .values_list("pk", flat=True))
        WebhookDelivery.objects.filter(pk__in=ids).update(
            state=State.PENDING, attempts=0, next_attempt_at=now, claimed_until=None)
        publish_on_commit(ids)
    return len(ids)


def webhook_endpoint_secret_regenerate(queryset: QuerySet[WebhookEndpoint]) -> int:
    """A new signing secret for each endpoint (the receiver must be given it): deliveries
    sent from now on are signed with it. Returns how many."""
    count = 0
    with transaction.atomic():
        for endpoint in WebhookEndpoint.objects.select_for_update().filter(
                pk__in=queryset.values("pk")):
            endpoint.secret = secret_generate()
            endpoint.save(update_fields=["secret"])
            count += 1
    return count
