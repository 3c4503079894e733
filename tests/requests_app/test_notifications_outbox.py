"""The outbox: rows written in the event's transaction, published after commit, sent once
even when a task runs twice, retried with back-off when the mail server fails, swept when a
publish was lost, visible and re-sendable in the admin.

Sends are run with ``task.apply()``, which runs in this process whatever the broker, so the
tests hold on both CI passes.
"""

from __future__ import annotations

import smtplib
import socket
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from requests_app import outbox, services
from requests_app.models import OutboundMessage, Request
from requests_app.permissions import Role
from requests_app.tasks import send_outbound_message_task, sweep_outbox_task
from tests import factories

State = OutboundMessage.State


class FailingBackend(BaseEmailBackend):
    """A mail server that answers each message with ``FailingBackend.error``."""

    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, email_messages):
        raise FailingBackend.error


FAILING = "tests.requests_app.test_notifications_outbox.FailingBackend"


@pytest.fixture(autouse=True)
def _server_disconnects():
    FailingBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def message(client_user, frontdesk) -> OutboundMessage:
    """The pending "request received" row for ``frontdesk``."""
    factories.make_request(client_user)
    return OutboundMessage.objects.get(recipient=frontdesk)


@pytest.fixture
def frontdesk2(db):
    return factories.make_agent(Role.FRONTDESK, username="frontdesk2")


def send(message_id: int) -> None:
    send_outbound_message_task.apply(args=(message_id,))


def refreshed(message: OutboundMessage) -> OutboundMessage:
    message.refresh_from_db()
    return message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- written in the transaction, published after commit --------------------------------------

@pytest.mark.django_db
def test_rows_are_written_with_the_event_and_published_only_after_commit(
    client_user, frontdesk, django_capture_on_commit_callbacks
):
    with mock.patch.object(send_outbound_message_task, "apply_async") as publish:
        with django_capture_on_commit_callbacks(execute=True):
            request = factories.make_request(client_user)
            rows = list(OutboundMessage.objects.filter(request=request).order_by("pk"))
            # FrontDesk's "new request" and the client's receipt.
            assert {(row.recipient, row.state) for row in rows} == {
                (frontdesk, State.PENDING), (client_user, State.PENDING)}
            publish.assert_not_called()
        assert publish.call_args_list == [
            mock.call((row.pk,), **outbox.PUBLISH_OPTIONS) for row in rows]


@pytest.mark.django_db
def test_a_failed_action_leaves_no_row_and_publishes_nothing(
    client_user, frontdesk, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(send_outbound_message_task, "apply_async") as publish,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        factories.make_request(client_user)
        raise RuntimeError("the action fails after the event")
    assert not OutboundMessage.objects.exists()
    assert not Request.objects.exists()
    assert callbacks == []
    publish.assert_not_called()


@pytest.mark.django_db
def test_a_broker_that_is_down_does_not_fail_the_action(
    client_user, frontdesk, frontdesk2, django_capture_on_commit_callbacks
):
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch.object(send_outbound_message_task, "apply_async",
                          side_effect=refused) as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        request = factories.make_request(client_user)
    # One failed try is enough: the rest is left to the sweep, the user does not wait.
    assert publish.call_count == 1
    assert list(OutboundMessage.objects.filter(request=request).values_list("state", flat=True)
                ) == [State.PENDING] * 3  # FrontDesk twice, the client's receipt


# --- sent once -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_send_task_run_twice_sends_once(message):
    send(message.pk)
    send(message.pk)
    assert len(mail.outbox) == 1
    message = refreshed(message)
    assert (message.state, message.attempts, message.last_error) == (State.SENT, 1, "")
    assert message.sent_at is not None


@pytest.mark.django_db
def test_the_email_has_text_html_sender_and_stable_ids(settings, message):
    settings.DEFAULT_FROM_EMAIL = "SPT Portal <no-reply@spt.example>"
    send(message.pk)
    email = mail.outbox[0]
    assert email.to == ["frontdesk@example.test"]
    assert email.from_email == "SPT Portal <no-reply@spt.example>"
    assert email.subject == message.subject
    assert email.body == message.body_text
    assert email.alternatives[0] == (message.body_html, "text/html")
    assert email.extra_headers["Message-ID"] == f"<outbox-{message.pk}@127.0.0.1>"
    assert email.extra_headers["References"] == f"<request-{message.request_id}@127.0.0.1>"
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.django_db
def test_a_row_claimed_by_a_live_worker_is_not_sent_again(message):
    assert outbox.outbound_message_claim(message_id=message.pk) is not None
    send(message.pk)
    assert mail.outbox == []
    assert refreshed(message).state == State.SENDING


@pytest.mark.django_db
def test_a_claim_of_a_crashed_worker_expires_and_the_row_is_sent(message):
    outbox.outbound_message_claim(message_id=message.pk)
    OutboundMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1))
    send(message.pk)
    assert len(mail.outbox) == 1
    assert (refreshed(message).state, message.attempts) == (State.SENT, 2)


@pytest.mark.django_db
def test_a_task_for_a_row_that_no_longer_exists_does_nothing(db):
    assert outbox.outbound_message_send(message_id=987654) == "skipped"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_task_at_once_send_once(client_user, frontdesk):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (CI's second pass)")
    factories.make_request(client_user)  # its publish goes to a broker no worker reads
    message = OutboundMessage.objects.get(recipient=frontdesk)
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            barrier.wait(timeout=10)
            outcomes.append(outbox.outbound_message_send(message_id=message.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(mail.outbox) == 1


# --- failures, retries, back-off -----------------------------------------------------------------

@pytest.mark.django_db
def test_an_smtp_failure_is_recorded_and_retried_with_back_off(settings, message):
    settings.EMAIL_BACKEND = FAILING
    started = timezone.now()
    send(message.pk)
    message = refreshed(message)
    assert (message.state, message.attempts) == (State.PENDING, 1)
    assert message.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert started + timedelta(seconds=59) < message.next_attempt_at
    assert message.next_attempt_at < timezone.now() + timedelta(seconds=61)

    send(message.pk)
    message = refreshed(message)
    assert message.attempts == 2
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=110)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send(message.pk)
    message = refreshed(message)
    assert (message.state, message.attempts, message.last_error) == (State.SENT, 3, "")
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_mail_server_that_refuses_connections_is_retried(settings, message):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1", free_port(), 2)
    send(message.pk)
    message = refreshed(message)
    assert (message.state, message.attempts) == (State.PENDING, 1)
    assert message.last_error.startswith("ConnectionRefusedError")


def test_back_off_doubles_up_to_an_hour():
    assert [outbox.backoff_seconds(n) for n in (1, 2, 3, 4, 6, 7, 20)] == [
        60, 120, 240, 480, 1920, 3600, 3600]


@pytest.mark.django_db
def test_the_worker_schedules_the_retry_itself(settings, message):
    settings.EMAIL_BACKEND = FAILING
    FailingBackend.error = smtplib.SMTPDataError(451, b"Try again later")
    with mock.patch.object(send_outbound_message_task, "apply_async") as schedule:
        # Called as the worker calls it (not eager), so it schedules its own retry.
        assert send_outbound_message_task(message.pk) == "retry"
    schedule.assert_called_once_with((message.pk,), countdown=60, **outbox.PUBLISH_OPTIONS)


@pytest.mark.django_db
def test_after_the_last_attempt_the_row_is_marked_failed(settings, message):
    settings.EMAIL_BACKEND = FAILING
    settings.OUTBOX_MAX_ATTEMPTS = 2
    FailingBackend.error = smtplib.SMTPDataError(451, b"Try again later")
    send(message.pk)
    assert refreshed(message).state == State.PENDING
    send(message.pk)
    message = refreshed(message)
    assert (message.state, message.attempts) == (State.FAILED, 2)
    assert "451" in message.last_error
    send(message.pk)
    assert refreshed(message).attempts == 2  # failed for good: not tried again


@pytest.mark.django_db
def test_an_address_refused_for_good_is_not_retried(settings, message):
    settings.EMAIL_BACKEND = FAILING
    FailingBackend.error = smtplib.SMTPRecipientsRefused(
        {"frontdesk@example.test": (550, b"No such user")})
    send(message.pk)
    assert (refreshed(message).state, message.attempts) == (State.FAILED, 1)


# --- the sweep -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_sweep_publishes_rows_left_unsent_and_only_those(message, client_user, frontdesk):
    now = timezone.now()
    old = now - timedelta(minutes=5)
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=old)
    factories.make_request(client_user)
    fresh = OutboundMessage.objects.latest("pk")  # just written: its own task is on the way
    sent = OutboundMessage.objects.create(
        request=message.request, event=message.event, recipient=None,
        to_address="x@example.test", language="fr", kind=message.kind, subject="s",
        body_text="t", body_html="h", state=State.SENT, next_attempt_at=old)

    with mock.patch.object(send_outbound_message_task, "apply_async") as publish:
        assert sweep_outbox_task.apply().get() == 1
    publish.assert_called_once_with((message.pk,), **outbox.PUBLISH_OPTIONS)
    assert fresh.pk != message.pk and sent.pk != message.pk
    # Not published again by the next sweep, a minute from now, unless still unsent then.
    assert refreshed(message).next_attempt_at > old
    with mock.patch.object(send_outbound_message_task, "apply_async") as publish:
        assert outbox.outbox_sweep(now=now + timedelta(seconds=30)) == 0
        publish.assert_not_called()
        outbox.outbox_sweep(now=now + timedelta(seconds=61))
    assert (message.pk,) in [call.args[0] for call in publish.call_args_list]


@pytest.mark.django_db
def test_the_sweep_waits_for_the_back_off_of_a_failed_row(settings, message):
    settings.EMAIL_BACKEND = FAILING
    send(message.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    due = refreshed(message).next_attempt_at
    assert message.pk not in outbox.outbound_message_ids_due(now=due)
    assert message.pk in outbox.outbound_message_ids_due(now=due + timedelta(seconds=61))


@pytest.mark.django_db
def test_the_sweep_sends_what_the_broker_lost(message):
    OutboundMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5))
    # In this process the published task runs at once (eager) or goes to a broker nobody
    # reads: run it by hand as a worker would.
    with mock.patch.object(send_outbound_message_task, "apply_async",
                           side_effect=lambda args, **kw: send(*args)):
        sweep_outbox_task.apply()
    assert refreshed(message).state == State.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_sweep_with_the_broker_down_changes_nothing(message):
    old = timezone.now() - timedelta(minutes=5)
    OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=old)
    with mock.patch.object(send_outbound_message_task, "apply_async",
                           side_effect=OperationalError("down")):
        assert outbox.outbox_sweep() == 0
    assert (refreshed(message).state, message.next_attempt_at) == (State.PENDING, old)


def test_the_beat_schedule_runs_the_sweep_every_minute():
    from celery.schedules import crontab

    from portal.celery import app

    entry = app.conf.beat_schedule["outbox-sweep"]
    assert entry["task"] == "requests_app.tasks.sweep_outbox_task"
    assert str(entry["schedule"]) == str(crontab())  # every minute
    assert entry["options"]["expires"] < 60  # a missed sweep is not run late
    assert entry["task"] in app.tasks
    assert "requests_app.tasks.send_outbound_message_task" in app.tasks


# --- the admin -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_admin_shows_state_attempts_and_last_error(admin_client, settings, message):
    settings.EMAIL_BACKEND = FAILING
    send(message.pk)
    page = admin_client.get("/admin/requests_app/outboundmessage/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "frontdesk@example.test" in body
    assert "SMTPServerDisconnected" in body
    detail = admin_client.get(f"/admin/requests_app/outboundmessage/{message.pk}/change/")
    assert detail.status_code == 200
    assert "Connection unexpectedly closed" in detail.content.decode()


@pytest.mark.django_db
def test_the_admin_resend_action_puts_rows_back_in_the_queue(
    admin_client, settings, message, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = FAILING
    settings.OUTBOX_MAX_ATTEMPTS = 1
    send(message.pk)
    assert refreshed(message).state == State.FAILED
    with (
        mock.patch.object(send_outbound_message_task, "apply_async") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = admin_client.post("/admin/requests_app/outboundmessage/", {
            "action": "resend", "_selected_action": [message.pk]})
    assert response.status_code == 302
    message = refreshed(message)
    assert (message.state, message.attempts) == (State.PENDING, 0)
    publish.assert_called_once_with((message.pk,), **outbox.PUBLISH_OPTIONS)


@pytest.mark.django_db
def test_the_admin_cannot_edit_or_delete_rows(admin_client, message):
    assert admin_client.get("/admin/requests_app/outboundmessage/add/").status_code == 403
    response = admin_client.post(
        f"/admin/requests_app/outboundmessage/{message.pk}/change/", {"subject": "changed"})
    assert refreshed(message).subject != "changed"
    assert response.status_code in (302, 403)


# --- the embedded default: one file per message -----------------------------------------------

@pytest.mark.django_db
def test_in_the_embedded_default_each_email_is_one_file(settings, tmp_path, message):
    settings.EMAIL_BACKEND = "requests_app.mail_backends.OneFilePerMessageBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    send(message.pk)
    files = list(tmp_path.iterdir())
    assert len(files) == 1
    content = files[0].read_bytes().decode()
    assert "multipart/alternative" in content
    assert "text/html" in content
    assert "To: frontdesk@example.test" in content


@pytest.mark.django_db
def test_services_keep_no_mail_sending_of_their_own(client_user, frontdesk):
    # Mail leaves only through the worker: an action alone sends nothing.
    factories.make_request(client_user)
    services.comment_add(actor=client_user, request=Request.objects.get(), body="Précision")
    assert mail.outbox == []
