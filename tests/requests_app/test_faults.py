"""Infrastructure faults that must never reach the user (issue 11, item 5), in-process and
fast: an unreachable or frozen cache, a slow mail server, a database connection lost after a
send, a worker that starts, and what /healthz reports. The same faults with real Redis, worker
and SMTP processes are in tests/integration/test_live_faults.py.

A "frozen" server here is a listening socket nobody accepts from: the kernel completes the
connection and buffers what is sent, and no answer ever comes, exactly as with a Redis stopped
by SIGSTOP.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from portal import cache as degrading
from portal.cache import DegradingRedisCache
from requests_app import health, outbox
from requests_app.models import Comment, OutboundMessage, WorkerHeartbeat
from requests_app.tasks import send_outbound_message_task, sweep_outbox_task
from tests import factories

State = OutboundMessage.State
ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def frozen_server() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(32)
        yield sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _cache_breaker_reset():
    degrading._down_until.clear()
    yield
    degrading._down_until.clear()


def redis_cache(port: int, timeout: float = 0.3) -> DegradingRedisCache:
    return DegradingRedisCache(f"redis://127.0.0.1:{port}/0", {"OPTIONS": {
        "socket_timeout": timeout, "socket_connect_timeout": timeout}})


def unreachable_cache_settings() -> dict:
    return {"default": {"BACKEND": "portal.cache.DegradingRedisCache",
                        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
                        "OPTIONS": {"socket_timeout": 0.3, "socket_connect_timeout": 0.3}}}


def send(message_id: int) -> None:
    send_outbound_message_task.apply(args=(message_id,))


def refreshed(message: OutboundMessage) -> OutboundMessage:
    message.refresh_from_db()
    return message


@pytest.fixture
def message(client_user, frontdesk) -> OutboundMessage:
    """The pending "request received" row for ``frontdesk``, its publish lost."""
    with mock.patch.object(outbox, "publish"):
        factories.make_request(client_user)
    return OutboundMessage.objects.get(recipient=frontdesk)


# --- the cache --------------------------------------------------------------------------------

def test_a_frozen_cache_costs_one_socket_timeout_then_is_skipped(caplog):
    with frozen_server() as port, caplog.at_level(logging.WARNING, logger="portal.cache"):
        cache = redis_cache(port)
        started = time.monotonic()
        assert cache.get("key", "default") == "default"
        first = time.monotonic() - started
        started = time.monotonic()
        assert cache.add("key", 1) is False
        cache.set("key", 1)
        assert cache.get_many(["key"]) == {}
        with pytest.raises(ValueError):
            cache.incr("key")
        assert cache.get("key") is None
        rest = time.monotonic() - started
    assert 0.25 < first < 1.5, f"{first:.2f} s"
    assert rest < 0.1, f"{rest:.2f} s: the calls after the failure still waited"
    warnings = [r for r in caplog.records if r.name == "portal.cache"]
    assert len(warnings) == 1
    assert "Cache unavailable (TimeoutError on get" in warnings[0].getMessage()


def test_a_refusing_cache_is_tried_again_after_a_few_seconds(monkeypatch):
    monkeypatch.setattr(degrading, "RETRY_AFTER", 0.2)
    cache = redis_cache(free_port())
    assert cache.get("key") is None
    location = cache._location
    assert degrading._down_until[location] > time.monotonic()
    time.sleep(0.3)
    # The next call tries again (and fails again: the server is still down).
    before = degrading._down_until[location]
    assert cache.get("key") is None
    assert degrading._down_until[location] > before


@pytest.mark.django_db
def test_with_the_cache_unreachable_a_comment_is_saved_and_not_refused(
        settings, client, client_user):
    request = factories.make_request(client_user)
    client.force_login(client_user)
    settings.CACHES = unreachable_cache_settings()
    response = client.post(reverse("portal:request_comment", kwargs={"key": request.key}),
                           {"comment-body": "Toujours bloqué."})
    assert response.status_code == 302, response.content.decode()[:1000]
    assert Comment.objects.filter(request=request, body="Toujours bloqué.").exists()


@pytest.mark.django_db
def test_with_the_cache_unreachable_signing_in_works(settings, client, client_user):
    settings.CACHES = unreachable_cache_settings()
    response = client.post("/accounts/login/",
                           {"username": client_user.username, "password": "demo"})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed in: sent on to the portal
    assert "_auth_user_id" in client.session


# --- SMTP: the end of DATA waited for, the rest short ----------------------------------------

class SlowSmtpHandler:
    def __init__(self, *, data_delay: float = 0.0, rcpt_delay: float = 0.0) -> None:
        self.data_delay, self.rcpt_delay = data_delay, rcpt_delay
        self.received: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.received.append(envelope.content)  # stored first, answered later
        await asyncio.sleep(self.data_delay)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(handler: SlowSmtpHandler, settings) -> Iterator[SlowSmtpHandler]:
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "portal.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    try:
        yield handler
    finally:
        controller.stop()


@pytest.mark.django_db
def test_a_server_slower_than_email_timeout_at_the_end_of_data_gets_one_copy(
        settings, message):
    settings.EMAIL_TIMEOUT, settings.EMAIL_DATA_TIMEOUT = 0.5, 5
    with smtp_server(SlowSmtpHandler(data_delay=1.5), settings) as server:
        send(message.pk)
        message = refreshed(message)
        assert (message.state, message.attempts, message.last_error) == (State.SENT, 1, "")
        send(message.pk)  # a second delivery of the task
        outbox.outbox_sweep(grace_seconds=0)
    # Once to FrontDesk (the client's receipt, swept too, is the other one).
    assert [item for item in server.received if b"To: frontdesk@example.test" in item] == [
        server.received[0]]


@pytest.mark.django_db
def test_the_exchanges_before_data_keep_the_short_timeout(settings, message):
    settings.EMAIL_TIMEOUT, settings.EMAIL_DATA_TIMEOUT = 0.5, 5
    with smtp_server(SlowSmtpHandler(rcpt_delay=3), settings) as server:
        started = time.monotonic()
        send(message.pk)
        elapsed = time.monotonic() - started
    message = refreshed(message)
    assert (message.state, message.attempts) == (State.PENDING, 1)
    assert "timed out" in message.last_error
    # Given up after EMAIL_TIMEOUT (and as much for QUIT), not the data timeout.
    assert elapsed < 2.5, f"{elapsed:.2f} s"
    assert server.received == []


# --- the claim, derived from the SMTP timeouts -----------------------------------------------

def settings_in_subprocess(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    code = ("from portal.settings import base as s; "
            "print(s.OUTBOX_CLAIM_SECONDS, s.OUTBOX_LONGEST_SEND_SECONDS)")
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("EMAIL_", "OUTBOX_"))}
    environ.update(DEMO_MODE="1", SPT_VAR_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60)


def test_the_claim_outlasts_the_longest_send_by_default(tmp_path):
    result = settings_in_subprocess(tmp_path, EMAIL_TIMEOUT="10", EMAIL_DATA_TIMEOUT="300")
    assert result.returncode == 0, result.stderr
    claim, longest = map(int, result.stdout.split())
    # Fourteen exchanges at EMAIL_TIMEOUT, then the end of DATA, plus a minute.
    assert (claim, longest) == (14 * 10 + 300 + 60, 14 * 10 + 300)

    default = settings_in_subprocess(tmp_path)
    claim, longest = map(int, default.stdout.split())
    # The RFC 5321 wait for the end of DATA is in the default worst case.
    assert longest >= 600 and claim > longest


def test_a_claim_shorter_than_the_longest_send_is_refused(tmp_path):
    result = settings_in_subprocess(tmp_path, OUTBOX_CLAIM_SECONDS="300")
    assert result.returncode != 0
    assert "OUTBOX_CLAIM_SECONDS (300) must outlast the longest send" in result.stderr


@pytest.mark.django_db
def test_a_claim_lasts_outbox_claim_seconds(settings, message):
    settings.OUTBOX_CLAIM_SECONDS = 1234
    before = timezone.now()
    claimed = outbox.outbound_message_claim(message_id=message.pk)
    assert claimed is not None
    assert (before + timedelta(seconds=1234) <= claimed.next_attempt_at
            <= timezone.now() + timedelta(seconds=1234))


# --- the "sent" update after a lost database connection --------------------------------------

@contextmanager
def sent_update_fails(times: int) -> Iterator[list[str]]:
    """The database connection is lost ``times`` times when the row is marked sent."""
    failures: list[str] = []

    def lose_connection(execute, sql, params, many, context):
        if (sql.startswith("UPDATE") and "outboundmessage" in sql
                and State.SENT in (params or ()) and len(failures) < times):
            failures.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(lose_connection):
        yield failures


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_before_the_sent_update_does_not_send_again(message, caplog):
    with sent_update_fails(times=2) as failures, caplog.at_level(logging.WARNING):
        send(message.pk)
    assert len(failures) == 2
    message = refreshed(message)
    assert (message.state, message.attempts) == (State.SENT, 1)
    assert message.sent_at is not None
    send(message.pk)
    outbox.outbox_sweep(now=timezone.now() + timedelta(days=1), grace_seconds=0)
    assert [m.to for m in mail.outbox].count([message.to_address]) == 1
    assert "marking it sent failed" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_sent_update_gives_up_before_the_claim_expires(settings, message, caplog):
    settings.OUTBOX_CLAIM_SECONDS = outbox.SENT_RETRY_MARGIN_SECONDS + 2
    started = time.monotonic()
    with sent_update_fails(times=100), caplog.at_level(logging.ERROR):
        send(message.pk)
    assert time.monotonic() - started < 2.5
    assert refreshed(message).state == State.SENDING  # sent again once the claim expires
    assert len(mail.outbox) == 1
    assert "was sent but could not be marked sent" in caplog.text


# --- a sweep when a worker starts ------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_worker_that_starts_sends_what_was_left_without_waiting_for_beat(
        celery_eager, client_user, frontdesk):
    from celery.signals import worker_ready

    with mock.patch.object(outbox, "publish"):  # the broker was down at commit
        factories.make_request(client_user)
        factories.make_request(client_user)
    receipts = list(OutboundMessage.objects.filter(recipient=client_user))
    left, crashed = OutboundMessage.objects.filter(recipient=frontdesk).order_by("pk")
    now = timezone.now()
    # A worker killed mid-send long ago (claim expired), and one sending right now.
    OutboundMessage.objects.filter(pk=crashed.pk).update(
        state=State.SENDING, attempts=1, next_attempt_at=now - timedelta(seconds=1))
    live = OutboundMessage.objects.create(
        request=left.request, event=left.event, recipient=None, to_address="x@example.test",
        language="fr", kind=left.kind, subject="s", body_text="t", body_html="h",
        state=State.SENDING, attempts=1, next_attempt_at=now + timedelta(minutes=10))

    responses = worker_ready.send(sender=None)

    assert dict((getattr(r, "__name__", r), v) for r, v in responses)[
        "sweep_outbox_on_worker_start"] == 4  # and the client's two receipts
    assert refreshed(left).state == State.SENT
    assert refreshed(crashed).state == State.SENT
    assert refreshed(live).state == State.SENDING
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [left.to_address, crashed.to_address, *(r.to_address for r in receipts)])


@pytest.mark.django_db
def test_a_worker_starts_even_when_its_sweep_fails(caplog):
    from requests_app.tasks import sweep_outbox_on_worker_start

    with (mock.patch.object(outbox, "outbox_sweep", side_effect=OperationalError("down")),
          caplog.at_level(logging.WARNING)):
        assert sweep_outbox_on_worker_start() == 0
    assert "Outbox sweep at worker start failed" in caplog.text


# --- /healthz ---------------------------------------------------------------------------------

def healthz(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, response.json()


@pytest.mark.django_db
def test_healthz_is_ok_while_beat_sweeps_and_nothing_waits(client):
    sweep_outbox_task.apply()
    status, body = healthz(client)
    assert status == 200, body
    assert body["status"] == body["outbox"] == body["database"] == body["broker"] == "ok"
    assert body["outbox_sweep_age_seconds"] <= 2
    assert body["oldest_unsent_age_seconds"] is None


@pytest.mark.django_db
def test_healthz_says_stale_when_beat_never_swept(client):
    status, body = healthz(client)
    assert status == 503
    assert (body["status"], body["outbox"]) == ("error", "stale")
    assert body["outbox_sweep_age_seconds"] is None


@pytest.mark.django_db
def test_healthz_says_stale_when_beat_stopped_sweeping(client, settings):
    settings.OUTBOX_SWEEP_STALE_SECONDS = 300
    health.heartbeat_record(name=health.OUTBOX_SWEEP,
                            now=timezone.now() - timedelta(seconds=299))
    assert healthz(client)[0] == 200
    health.heartbeat_record(name=health.OUTBOX_SWEEP,
                            now=timezone.now() - timedelta(seconds=310))
    status, body = healthz(client)
    assert (status, body["outbox"]) == (503, "stale")
    assert 310 <= body["outbox_sweep_age_seconds"] < 320
    assert body["outbox_sweep_stale_after_seconds"] == 300
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.django_db
def test_healthz_reports_the_oldest_unsent_email_and_says_stale_past_the_limit(
        client, settings, message):
    settings.OUTBOX_UNSENT_STALE_SECONDS = 1800
    sweep_outbox_task.apply()
    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(seconds=600))
    status, body = healthz(client)
    assert (status, body["outbox"]) == (200, "ok")
    assert 600 <= body["oldest_unsent_age_seconds"] < 610

    OutboundMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - timedelta(seconds=1900))
    status, body = healthz(client)
    assert (status, body["outbox"]) == (503, "stale")
    assert body["oldest_unsent_stale_after_seconds"] == 1800

    # Failed for good is not waiting: it is in the admin, to re-send by hand.
    OutboundMessage.objects.filter(pk=message.pk).update(state=State.FAILED)
    OutboundMessage.objects.exclude(pk=message.pk).update(state=State.SENT)
    assert healthz(client)[0] == 200
