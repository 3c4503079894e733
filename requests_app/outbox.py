"""The outbox: e-mails are rows first, and leave only after the transaction that wrote them
has committed.

A row is written by ``notifications.notify`` in the transaction of its event and its
send task is published with ``transaction.on_commit``. The task claims the row under a row
lock (``pending`` → ``sending``), sends it outside any transaction, then marks it ``sent``;
a second delivery of the same task finds the row claimed or sent and does nothing. A failed
send goes back to ``pending`` with a later ``next_attempt_at`` (exponential back-off) and the
error recorded. The beat sweep re-publishes rows still unsent a little after they were due,
which covers a broker that was down at commit, a worker that crashed mid-send (its claim
expires) and a retry whose own task was lost.

The claim lasts longer than the longest send (``OUTBOX_CLAIM_SECONDS``, derived from the SMTP
timeouts in settings, which wait for the end of DATA as RFC 5321 asks), so a slow mail server
is never handed the same message by a second worker. A database connection lost between the
send and the "sent" update is retried on a new connection while the claim lasts. The one
window left for a duplicate is a worker that dies after the mail server accepted the message
and before the row is marked sent; the stable ``Message-ID`` lets the receiving side
recognise that copy. Nothing is ever lost to it.

News of one request for one person close together leave as one e-mail. A row of such news
is written due ``NOTIFICATION_GROUP_SECONDS`` after it and its task published with that
countdown. When a task finds its row, it locks every row still waiting for the same person
and request, in one statement ordered by id (two tasks of one group queue behind each other,
never deadlock). While the latest of them is younger than the window, and the first younger
than ``GROUP_MAX_WINDOWS`` windows, the group waits: the row is marked due then and its task
published again for that moment. Once due, the row of the task that found it so takes the
others along: they become ``merged`` into it in the same transaction as its claim, and it is
rendered again with all their news (``notifications.email_combined``). So a row is sent once,
either itself or inside exactly one other; a failed send keeps its merged rows with it, and a
retry or the admin's re-send sends them all again together. The kinds in ``SENT_AT_ONCE``
never wait, and take along whatever was waiting when they leave.
"""

from __future__ import annotations

import logging
import math
import smtplib
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.retries import backoff_seconds, max_attempts, sweep_grace_seconds
from requests_app.models import NotificationKind, OutboundMessage

logger = logging.getLogger(__name__)

State = OutboundMessage.State

SWEEP_BATCH = 500
# Publishing tries once more at once (a pooled connection that a broker restart closed), not
# for the seconds of kombu's default, since the user's request waits for it and the sweep
# makes up for it. Against a frozen broker each try costs the socket timeout
# (REDIS_SOCKET_TIMEOUT), so an action pays about two of them, never a 500.
PUBLISH_OPTIONS = {"retry": True, "retry_policy": {
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}}


# Never held back: the confirmation request must be answered, the receipt answers what the
# person just did, and a password reset is awaited on the screen.
SENT_AT_ONCE = frozenset({
    NotificationKind.CONFIRMATION_REQUEST, NotificationKind.REQUEST_RECEIVED,
    NotificationKind.PASSWORD_RESET,
})
# However lively a request, its news wait at most this many windows after the first of them.
GROUP_MAX_WINDOWS = 5

# What ``outbound_message_send`` did.
SENT, SKIPPED, HELD, RETRY, FAILED = "sent", "skipped", "held", "retry", "failed"


def group_seconds() -> int:
    """The window within which news of one request for one person make one e-mail."""
    return max(int(getattr(settings, "NOTIFICATION_GROUP_SECONDS", 0)), 0)


def hold_seconds(kind: str) -> int:
    """How long a new row of ``kind`` waits for news to go out with."""
    return 0 if kind in SENT_AT_ONCE else group_seconds()


def claim_seconds() -> int:
    """How long a claim lasts: longer than the longest send (``OUTBOX_CLAIM_SECONDS``, derived
    from the SMTP timeouts in settings), so that an older one belongs to a worker that died
    mid-send and the sweep takes it back, never to a send still under way."""
    return int(settings.OUTBOX_CLAIM_SECONDS)


def retry_countdown(message_id: int) -> int:
    """Seconds until the row's next attempt, as its last failure recorded it."""
    due = (OutboundMessage.objects.filter(pk=message_id)
           .values_list("next_attempt_at", flat=True).first())
    if due is None:
        return backoff_seconds(1)
    return max(math.ceil((due - timezone.now()).total_seconds()), 1)


def _mail_domain() -> str:
    return urlsplit(settings.PORTAL_BASE_URL).hostname or "spt.invalid"


def outbound_message_claim(*, message_id: int, now: datetime | None = None
                           ) -> OutboundMessage | None:
    """Lock the row and take it for sending, with the rows waiting to go out with it; None
    when there is nothing to send now (already sent, merged or failed for good, claimed by
    another live worker, waiting for news to go with it, or gone)."""
    outcome, message, _due = _claim(message_id=message_id, now=now or timezone.now())
    return message if outcome == SENT else None


def _group_due(group: list[OutboundMessage]) -> datetime | None:
    """When a group of rows waiting for one person and request may leave; None: at once."""
    window = group_seconds()
    if not window or any(row.kind in SENT_AT_ONCE for row in group):
        return None
    latest = max(row.created_at for row in group)
    first = min(row.created_at for row in group)
    return min(latest + timedelta(seconds=window),
               first + timedelta(seconds=window * GROUP_MAX_WINDOWS))


def _claim(*, message_id: int, now: datetime
           ) -> tuple[str, OutboundMessage | None, datetime | None]:
    """(``SENT``, the claimed row, None) when it is to be sent now, (``HELD``, None, when)
    while it waits for news to go with, (``SKIPPED``, None, None) otherwise."""
    with transaction.atomic():
        key = (OutboundMessage.objects.filter(pk=message_id)
               .values_list("request_id", "recipient_id").first())
        if key is None:
            return SKIPPED, None, None
        request_id, recipient_id = key
        together = Q(pk=message_id)
        if group_seconds() and request_id is not None and recipient_id is not None:
            together |= Q(request_id=request_id, recipient_id=recipient_id,
                          state=State.PENDING)
        # One statement, in id order: every task of the group takes the locks in one order.
        rows = list(OutboundMessage.objects.select_for_update().filter(together).order_by("pk"))
        message = next((row for row in rows if row.pk == message_id), None)
        if message is None or message.state in (State.SENT, State.FAILED, State.MERGED):
            return SKIPPED, None, None
        if message.state == State.SENDING and message.next_attempt_at > now:
            return SKIPPED, None, None
        others = [row for row in rows if row.pk != message_id and row.state == State.PENDING]
        due = _group_due([message, *others])
        if due is not None and due > now:
            if message.state == State.PENDING:
                message.next_attempt_at = due  # the sweep leaves it alone until then
                message.save(update_fields=["next_attempt_at"])
            return HELD, None, due
        fields = ["state", "attempts", "next_attempt_at"]
        if others:
            _merge(message, others, now=now)
            fields += ["subject", "body_text", "body_html"]
        message.state = State.SENDING
        message.attempts += 1
        message.next_attempt_at = now + timedelta(seconds=claim_seconds())
        message.save(update_fields=fields)
    return SENT, message, None


def _merge(message: OutboundMessage, others: list[OutboundMessage], *, now: datetime) -> None:
    """Make ``others`` go out inside ``message`` (all locked by the caller), with whatever was
    merged into them already, and render ``message`` again with all their news."""
    from requests_app.notifications import email_combined

    ids = [row.pk for row in others]
    OutboundMessage.objects.filter(merged_into_id__in=ids).update(merged_into=message)
    OutboundMessage.objects.filter(pk__in=ids).update(
        state=State.MERGED, merged_into=message, next_attempt_at=now)
    members = list(
        OutboundMessage.objects.filter(Q(pk=message.pk) | Q(merged_into=message))
        .select_related("event__request__organisation", "event__request__request_type",
                        "event__request__priority", "event__request__reporter",
                        "event__request__created_by", "event__actor", "event__comment",
                        "recipient__profile")
        .order_by("created_at", "pk")
    )
    message.subject, message.body_text, message.body_html = email_combined(
        leader=message, members=members)
    message.subject = message.subject[:400]


def _email_for(message: OutboundMessage) -> EmailMultiAlternatives:
    domain = _mail_domain()
    # Mail clients thread every e-mail of one request together; an account's e-mail (password
    # reset) belongs to no request.
    thread = ({"References": f"<request-{message.request_id}@{domain}>"}
              if message.request_id is not None else {})
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={
            # Stable, so that a receiving system can tell a resent copy from a new message.
            "Message-ID": f"<outbox-{message.pk}@{domain}>",
            **thread,
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    email.attach_alternative(message.body_html, "text/html")
    return email


def _permanent(exc: Exception) -> bool:
    """Only a recipient refused for good (5xx) makes a retry pointless; anything else (server
    down, 4xx, timeouts, authentication) may heal and is retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return False


def _describe(exc: Exception) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:2000]


def outbound_message_send(*, message_id: int, now: datetime | None = None) -> str:
    """Send one outbox row at most once, with the rows waiting to go out with it. Returns what
    happened: ``sent``, ``skipped``, ``held`` (waiting for news to go with: ``next_attempt_at``
    says until when), ``retry`` (pending again, ``next_attempt_at`` set) or ``failed``."""
    outcome, message, _due = _claim(message_id=message_id, now=now or timezone.now())
    if message is None:
        return outcome
    try:
        _email_for(message).send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
        now = timezone.now()
        final = _permanent(exc) or message.attempts >= max_attempts()
        OutboundMessage.objects.filter(pk=message.pk, state=State.SENDING).update(
            state=State.FAILED if final else State.PENDING,
            last_error=_describe(exc),
            next_attempt_at=now + timedelta(seconds=backoff_seconds(message.attempts)),
        )
        logger.warning("Outbox message %s: attempt %s failed (%s)%s", message.pk,
                       message.attempts, _describe(exc), ", giving up" if final else "")
        return FAILED if final else RETRY
    _mark_sent(message)
    return SENT


# After a send, the "sent" update is tried again on a fresh connection this often, waiting
# 0.5, 1, 2 … seconds (at most SENT_RETRY_MAX_WAIT) in between, as long as the claim lasts.
SENT_RETRY_FIRST_WAIT = 0.5
SENT_RETRY_MAX_WAIT = 30.0
# Stop this long before the claim expires: past it, the sweep may hand the row to another
# worker, and a "sent" written then would race its send.
SENT_RETRY_MARGIN_SECONDS = 30


def _mark_sent(message: OutboundMessage, *,
               sleep: Callable[[float], None] = time.sleep) -> bool:
    """Record that the mail server accepted the message. A database connection lost between
    the send and this update (a restart, a failover, a proxy dropping idle connections) must
    not leave the row claimed: once the claim expired it would be sent again. So the update
    is retried on a new connection until it succeeds or the claim is about to expire. Returns
    whether it was recorded."""
    deadline = message.next_attempt_at - timedelta(seconds=SENT_RETRY_MARGIN_SECONDS)
    wait = SENT_RETRY_FIRST_WAIT
    while True:
        try:
            OutboundMessage.objects.filter(pk=message.pk).update(
                state=State.SENT, sent_at=timezone.now(), last_error=""
            )
            return True
        except (OperationalError, InterfaceError) as exc:
            if timezone.now() + timedelta(seconds=wait) >= deadline:
                logger.error("Outbox message %s was sent but could not be marked sent (%s): "
                             "it will be sent again when its claim expires", message.pk,
                             _describe(exc))
                return False
            logger.warning("Outbox message %s sent; marking it sent failed (%s), trying "
                           "again on a new connection in %.1f s", message.pk, _describe(exc),
                           wait)
            # The broken connection is dropped; the next query opens a new one (the send runs
            # outside any transaction, so there is none to lose).
            connection.close()
            sleep(wait)
            wait = min(wait * 2, SENT_RETRY_MAX_WAIT)


def outbox_sweep(*, now: datetime | None = None, grace_seconds: int | None = None) -> int:
    """Publish again the rows still unsent a while after they were due; each published row is
    left alone by the next sweeps for a grace period, so a busy worker is not flooded with
    copies of the same task. Returns how many were published."""
    now = now or timezone.now()
    grace = sweep_grace_seconds() if grace_seconds is None else grace_seconds
    cutoff = now - timedelta(seconds=grace)
    published = publish(outbound_message_ids_due(now=now, grace_seconds=grace))
    if published:
        # Only rows nobody touched since they were read: a send that failed meanwhile has
        # set its own back-off.
        OutboundMessage.objects.filter(
            pk__in=published, state=State.PENDING, next_attempt_at__lte=cutoff
        ).update(next_attempt_at=now)
    return len(published)


def outbound_message_ids_due(*, now: datetime | None = None,
                             grace_seconds: int | None = None) -> list[int]:
    """Rows the sweep should publish again: unsent, and due for a while (a new row is due at
    once, a failed one after its back-off, a claimed one when its claim expires)."""
    now = now or timezone.now()
    grace = sweep_grace_seconds() if grace_seconds is None else grace_seconds
    return list(
        OutboundMessage.objects.filter(
            state__in=[State.PENDING, State.SENDING],
            next_attempt_at__lte=now - timedelta(seconds=grace),
        ).order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def publish(message_ids: Iterable[int], *, countdown: int = 0) -> list[int]:
    """Hand rows to the worker, to run ``countdown`` seconds from now. A broker that is down
    only delays them: the sweep publishes them again, so this never fails the caller. Returns
    the ids published."""
    from requests_app.tasks import send_outbound_message_task

    timing = {"countdown": countdown} if countdown > 0 else {}
    published: list[int] = []
    for message_id in message_ids:
        try:
            send_outbound_message_task.apply_async((message_id,), **timing, **PUBLISH_OPTIONS)
        except Exception:  # noqa: BLE001 - the row stays pending; the sweep sends it
            logger.warning("Broker unavailable: outbox message %s left for the sweep",
                           message_id, exc_info=True)
            # The broker is down for the rest of them too; do not make the caller wait.
            break
        published.append(message_id)
    return published


def publish_on_commit(message_ids: list[int], *, countdown: int = 0) -> None:
    if message_ids:
        transaction.on_commit(lambda: publish(message_ids, countdown=countdown), robust=True)


def outbound_messages_requeue(queryset: QuerySet[OutboundMessage]) -> int:
    """The admin's "re-send": back to pending with a fresh count of attempts, published after
    commit, with the rows merged into it. A row being sent right now is left alone, and so is
    a merged one: it goes out again by re-sending the row it was merged into."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            queryset.select_for_update()
            .exclude(state=State.SENDING, next_attempt_at__gt=now)
            .exclude(state=State.MERGED)
            .values_list("pk", flat=True)
        )
        OutboundMessage.objects.filter(pk__in=ids).update(
            state=State.PENDING, attempts=0, next_attempt_at=now, sent_at=None
        )
        publish_on_commit(ids)
    return len(ids)
