"""Events of requests posted, signed, to a real receiver on 127.0.0.1: after commit only,
retried while it is down, and delivered once."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from requests_app import services
from requests_app.models import EventKind, RequestEvent
from requests_app.workflow import RequestStatus as S
from webhooks import services as webhooks
from webhooks.models import WebhookDelivery
from webhooks.signing import signature_verify
from webhooks.tasks import deliver_webhook_task

State = WebhookDelivery.State


def verified(received, secret: str) -> bool:
    """The receiver's check, as the README tells it: HMAC-SHA256 of "<timestamp>.<body>"
    with the secret, and a timestamp close to its own clock."""
    timestamp = received.headers["X-SPT-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + received.body,
                                    hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) <= 300
    return fresh and hmac.compare_digest(expected, received.headers["X-SPT-Signature"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def deliveries(kind: str | None = None):
    rows = WebhookDelivery.objects.order_by("pk")
    return list(rows.filter(event_kind=kind) if kind else rows)


@pytest.mark.django_db(transaction=True)
def test_a_comment_is_posted_signed_once_its_transaction_committed(
        walk, servicedesk, receiver, endpoint_for, celery_eager):
    request = walk(S.IN_PROGRESS)
    endpoint = endpoint_for(receiver.url, [EventKind.COMMENTED])
    with transaction.atomic():
        services.comment_add(actor=servicedesk, request=request,
                             body="Le correctif est livré en 24.2.")
        # Recorded with the event, posted only after the commit.
        [pending] = deliveries()
        assert pending.state == State.PENDING and receiver.received == []
    [delivery] = deliveries()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        State.DELIVERED, 1, 200)
    [received] = receiver.received
    assert received.path == "/hooks/spt"
    assert verified(received, endpoint.secret)
    assert not verified(received, "another secret")
    assert received.headers["X-SPT-Event"] == "commented"
    assert received.headers["X-SPT-Delivery"] == str(delivery.delivery_id)
    assert received.headers["Content-Type"].startswith("application/json")
    event = RequestEvent.objects.get(pk=delivery.event_id)
    body = received.json
    assert body["event"]["id"] == event.pk and body["event"]["kind"] == "commented"
    assert body["event"]["actor_id"] == servicedesk.pk
    assert body["event"]["is_internal"] is False
    assert body["request"]["key"] == request.key and body["request"]["status"] == S.IN_PROGRESS
    assert body["comment"]["body"] == "Le correctif est livré en 24.2."
    # The events before the endpoint existed, and those of other kinds, are not sent.
    assert {row.event_kind for row in deliveries()} == {"commented"}


@pytest.mark.django_db
def test_the_signature_helper_accepts_only_a_fresh_signed_body(
        walk, servicedesk, receiver, endpoint_for, celery_eager,
        django_capture_on_commit_callbacks):
    endpoint = endpoint_for(receiver.url)
    request = walk(S.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=servicedesk, request=request, body="Bonjour")
    received = receiver.received[-1]
    stamp, signed = received.headers["X-SPT-Timestamp"], received.headers["X-SPT-Signature"]
    assert signature_verify(secret=endpoint.secret, body=received.body, timestamp=stamp,
                            signature_header=signed)
    assert not signature_verify(secret=endpoint.secret, body=received.body + b" ",
                                timestamp=stamp, signature_header=signed)
    # A recorded delivery replayed ten minutes later is refused.
    assert not signature_verify(secret=endpoint.secret, body=received.body, timestamp=stamp,
                                signature_header=signed, now=int(stamp) + 600)


@pytest.mark.django_db
def test_a_receiver_down_gets_it_later_exactly_once(
        walk, servicedesk, receiver, endpoint_for, celery_eager,
        django_capture_on_commit_callbacks):
    endpoint = endpoint_for(receiver.url, [EventKind.COMMENTED])
    request = walk(S.IN_PROGRESS)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=servicedesk, request=request, body="Premier essai")
    [delivery] = deliveries()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        State.PENDING, 1, 500)
    assert delivery.last_error.startswith("HTTP 500")
    # Retried after the back-off (a minute), not before.
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert webhooks.webhook_deliveries_sweep() == 0

    receiver.status = 200
    due = delivery.next_attempt_at + timedelta(seconds=webhooks.sweep_grace_seconds())
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhook_deliveries_sweep(now=due) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        State.DELIVERED, 2, 200)
    assert delivery.last_error == ""
    # Nothing goes out again: neither the task run a second time nor later sweeps.
    assert deliver_webhook_task(delivery.pk) == webhooks.SKIPPED
    assert webhooks.webhook_deliveries_sweep(now=due + timedelta(days=1)) == 0
    assert len(receiver.received) == 2
    assert receiver.accepted == {str(delivery.delivery_id): 1}
    # Both attempts carry the same delivery id, each signed afresh.
    assert {r.headers["X-SPT-Delivery"] for r in receiver.received} == {
        str(delivery.delivery_id)}
    assert all(verified(r, endpoint.secret) for r in receiver.received)


@pytest.mark.django_db
def test_a_closed_port_is_retried_until_the_receiver_listens(
        walk, servicedesk, receiver, endpoint_for, celery_eager,
        django_capture_on_commit_callbacks):
    endpoint = endpoint_for(f"http://127.0.0.1:{free_port()}/hooks", [EventKind.COMMENTED])
    request = walk(S.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=servicedesk, request=request, body="Personne n'écoute")
    [delivery] = deliveries()
    assert (delivery.state, delivery.last_status_code) == (State.PENDING, None)
    assert "Connection refused" in delivery.last_error or "URLError" in delivery.last_error
    # The receiver is up again (here: at its new address).
    endpoint.url = receiver.url
    endpoint.save()
    assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.DELIVERED
    assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.SKIPPED
    assert receiver.accepted == {str(delivery.delivery_id): 1}


@pytest.mark.django_db
def test_after_the_last_attempt_the_delivery_fails_for_good(
        settings, walk, servicedesk, receiver, endpoint_for, celery_eager,
        django_capture_on_commit_callbacks):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    endpoint_for(receiver.url, [EventKind.COMMENTED])
    request = walk(S.IN_PROGRESS)
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=servicedesk, request=request, body="Essai")
    [delivery] = deliveries()
    assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.FAILED
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        State.FAILED, 2, 503)
    later = timezone.now() + timedelta(days=2)
    assert webhooks.webhook_deliveries_sweep(now=later) == 0
    assert len(receiver.received) == 2 and not receiver.accepted


@pytest.mark.django_db
def test_a_redirect_is_not_followed(walk, servicedesk, receiver, endpoint_for, celery_eager,
                                    django_capture_on_commit_callbacks):
    endpoint_for(receiver.url, [EventKind.COMMENTED])
    request = walk(S.IN_PROGRESS)
    receiver.status, receiver.location = 302, receiver.url + "/elsewhere"
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=servicedesk, request=request, body="Redirigé ?")
    [delivery] = deliveries()
    assert (delivery.state, delivery.last_status_code) == (State.PENDING, 302)
    assert [r.path for r in receiver.received] == ["/hooks/spt"]


@pytest.mark.django_db
def test_an_expired_claim_is_taken_back_by_the_sweep(
        walk, servicedesk, receiver, endpoint_for, celery_eager,
        django_capture_on_commit_callbacks):
    endpoint_for(receiver.url, [EventKind.COMMENTED])
    request = walk(S.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=False):
        services.comment_add(actor=servicedesk, request=request, body="Interrompu")
    [delivery] = deliveries()
    # A worker claimed it and died mid-send.
    claimed = webhooks.webhook_delivery_claim(delivery_id=delivery.pk)
    assert claimed is not None and claimed.state == State.SENDING
    assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.SKIPPED
    assert receiver.received == []
    expired = claimed.claimed_until + timedelta(seconds=webhooks.sweep_grace_seconds())
    # Once the claim has expired, the next sweep hands it to a live worker.
    with time_machine.travel(expired, tick=True), \
            django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhook_deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.DELIVERED, 2)
    assert receiver.accepted == {str(delivery.delivery_id): 1}


@pytest.mark.django_db
def test_internal_events_go_only_where_asked_and_never_with_the_note(
        walk, servicedesk, client_user, receiver, endpoint_for, celery_eager,
        django_capture_on_commit_callbacks):
    public = endpoint_for(receiver.url + "?public", ["*"])
    internal = endpoint_for(receiver.url + "?internal", ["*"], include_internal=True)
    request = walk(S.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=servicedesk, request=request, is_internal=True,
                             body="Client difficile, à traiter en priorité.")
        services.notifications_mute_set(actor=client_user, request=request, muted=True)
    notes = deliveries(EventKind.INTERNAL_NOTE)
    assert [row.endpoint_id for row in notes] == [internal.pk]
    assert public.deliveries.filter(event_kind=EventKind.INTERNAL_NOTE).count() == 0
    [sent] = [r for r in receiver.received if r.headers["X-SPT-Event"] == "internal_note"]
    assert sent.path.endswith("?internal")
    assert sent.json["event"]["is_internal"] is True
    assert sent.json["comment"]["is_internal"] is True
    assert sent.json["comment"]["body"] is None
    assert "Client difficile" not in sent.body.decode()
    # A person's muting is nobody else's business.
    assert RequestEvent.objects.filter(kind=EventKind.MUTED).exists()
    assert not WebhookDelivery.objects.filter(
        event_kind__in=[EventKind.MUTED, EventKind.UNMUTED]).exists()


@pytest.mark.django_db
def test_a_deactivated_endpoint_gets_nothing(walk, servicedesk, receiver, endpoint_for,
                                             celery_eager, django_capture_on_commit_callbacks):
    endpoint = endpoint_for(receiver.url, [EventKind.COMMENTED])
    request = walk(S.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=False):
        services.comment_add(actor=servicedesk, request=request, body="Avant")
    [before] = deliveries()
    endpoint.is_active = False
    endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=servicedesk, request=request, body="Après")
    # No new row; the one written before is not posted to a deactivated endpoint.
    assert deliveries() == [before]
    assert webhooks.webhook_delivery_send(delivery_id=before.pk) == webhooks.SKIPPED
    before.refresh_from_db()
    assert before.state == State.FAILED and receiver.received == []


@pytest.mark.django_db
def test_the_payload_is_the_same_at_every_attempt(walk, servicedesk, receiver, endpoint_for,
                                                  celery_eager,
                                                  django_capture_on_commit_callbacks):
    endpoint_for(receiver.url, [EventKind.COMMENTED])
    request = walk(S.IN_PROGRESS)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=servicedesk, request=request, body="Même contenu")
    receiver.status = 200
    [delivery] = deliveries()
    webhooks.webhook_delivery_send(delivery_id=delivery.pk)
    first, second = receiver.received
    assert first.body == second.body
    assert json.loads(first.body) == delivery.payload


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_starts_posts_what_the_broker_missed(
        walk, servicedesk, receiver, endpoint_for, celery_eager):
    from celery.signals import worker_ready

    endpoint_for(receiver.url, [EventKind.COMMENTED])
    request = walk(S.IN_PROGRESS)
    with mock.patch.object(webhooks, "publish"):  # the broker was down at commit
        services.comment_add(actor=servicedesk, request=request, body="Broker absent")
    [delivery] = deliveries()
    assert delivery.state == State.PENDING and receiver.received == []

    responses = dict((getattr(r, "__name__", r), v) for r, v in worker_ready.send(sender=None))

    assert responses["sweep_webhooks_on_worker_start"] == 1
    delivery.refresh_from_db()
    assert delivery.state == State.DELIVERED
    assert receiver.accepted == {str(delivery.delivery_id): 1}


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_before_the_delivered_update_does_not_post_again(
        walk, servicedesk, receiver, endpoint_for, celery_eager):
    from django.db import OperationalError, connection

    endpoint_for(receiver.url, [EventKind.COMMENTED])
    request = walk(S.IN_PROGRESS)
    with mock.patch.object(webhooks, "publish"):
        services.comment_add(actor=servicedesk, request=request, body="Connexion perdue")
    [delivery] = deliveries()
    failures: list[str] = []

    def lose_connection(execute, sql, params, many, context):
        if (sql.startswith("UPDATE") and "webhookdelivery" in sql
                and State.DELIVERED in (params or ()) and len(failures) < 2):
            failures.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(lose_connection):
        assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) == webhooks.DELIVERED
    assert len(failures) == 2
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (State.DELIVERED, 1)
    webhooks.webhook_deliveries_sweep(now=timezone.now() + timedelta(days=1), grace_seconds=0)
    assert receiver.accepted == {str(delivery.delivery_id): 1}
    assert len(receiver.received) == 1
