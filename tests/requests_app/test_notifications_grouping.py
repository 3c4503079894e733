"""News of one request for one person within ``NOTIFICATION_GROUP_SECONDS`` leave as one
e-mail: an agent answers, then asks a question a minute later, and the client gets one
e-mail with both. Beyond the window, two. The confirmation request, the receipt and the
password reset never wait. A send that fails, a task run twice, a task run for a row already
merged, a news arriving between a failure and its retry: each row goes out exactly once.

The clock is moved with time-machine; the tasks are run as the worker runs them
(``send_outbound_message_task.apply``), at the moment the worker would."""

from __future__ import annotations

import smtplib
import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, connections
from django.db.models import Max

from requests_app import outbox, services
from requests_app.models import NotificationKind as N
from requests_app.models import OutboundMessage
from requests_app.services.accounts import account_password_reset_request
from requests_app.tasks import send_outbound_message_task
from requests_app.workflow import RequestStatus as S

State = OutboundMessage.State
WINDOW = 120
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ANSWER = "Nous avons **trouvé** la cause : le paramètre 12."
QUESTION = "Pouvez-vous installer le correctif 24.1.3 ?"


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


FAILING = "tests.requests_app.test_notifications_grouping.FailingBackend"


@pytest.fixture(autouse=True)
def _window(settings):
    settings.NOTIFICATION_GROUP_SECONDS = WINDOW


@pytest.fixture
def request_in_progress(walk):
    """A request En cours an hour before ``T0``, its e-mails so far sent (the receipt, "En
    cours"), since nothing commits in a test to run their tasks."""
    with time_machine.travel(T0 - timedelta(hours=1), tick=False):
        request = walk(S.IN_PROGRESS)
        for row in OutboundMessage.objects.filter(state=State.PENDING):
            outbox.outbound_message_send(message_id=row.pk, now=T0)
    mail.outbox.clear()
    return request


def at(seconds: float):
    return time_machine.travel(T0 + timedelta(seconds=seconds), tick=False)


def mark() -> int:
    return OutboundMessage.objects.aggregate(last=Max("pk"))["last"] or 0


def to_client(before: int, client_user) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(pk__gt=before, recipient=client_user)
                .order_by("pk"))


def run(row: OutboundMessage) -> str:
    """The row's task, run as the worker runs it (in this process)."""
    return send_outbound_message_task.apply(args=(row.pk,)).get()


def refreshed(row: OutboundMessage) -> OutboundMessage:
    row.refresh_from_db()
    return row


def client_mail(client_user) -> list:
    return [email for email in mail.outbox if email.to == [client_user.email]]


def answer_then_ask(request, servicedesk, *, seconds_between: float):
    with at(0):
        services.comment_add(actor=servicedesk, request=request, body=ANSWER)
    with at(seconds_between):
        services.request_ask_customer(actor=servicedesk, request=request, question=QUESTION)


# --- within the window: one e-mail -----------------------------------------------------------

@pytest.mark.django_db
def test_an_answer_then_a_question_a_minute_later_make_one_email(
    request_in_progress, client_user, servicedesk
):
    before = mark()
    answer_then_ask(request_in_progress, servicedesk, seconds_between=60)
    comment, status = to_client(before, client_user)
    assert (comment.kind, status.kind) == (N.AGENT_COMMENT, N.STATUS_CHANGED)
    # Each is due at the end of its own window.
    assert comment.next_attempt_at == T0 + timedelta(seconds=WINDOW)
    assert status.next_attempt_at == T0 + timedelta(seconds=60 + WINDOW)

    with at(WINDOW):  # the answer's task: a newer news waits, so it waits with it
        assert run(comment) == outbox.HELD
    assert client_mail(client_user) == []
    assert refreshed(comment).next_attempt_at == T0 + timedelta(seconds=60 + WINDOW)

    with at(60 + WINDOW):  # the question's task: the window after the last news is over
        assert run(status) == outbox.SENT
    [email] = client_mail(client_user)
    assert email.subject == f"[{request_in_progress.key}] La clôture mensuelle échoue — " \
                            "2 mises à jour"
    html = email.alternatives[0][0]
    for part in (email.body, html):
        assert "Réponse du Customer Service" in part and "Changement de statut" in part
        assert part.index("Réponse du Customer Service") < part.index("Changement de statut")
        assert QUESTION in part
    assert "Nous avons **trouvé** la cause" in email.body
    assert "<strong>trouvé</strong>" in html and "**trouvé**" not in html
    assert html.count('class="button"') == 1

    comment, status = refreshed(comment), refreshed(status)
    assert (comment.state, comment.merged_into_id) == (State.MERGED, status.pk)
    assert (status.state, status.merged_into_id) == (State.SENT, None)
    assert status.body_html == html  # the record of what was sent

    with at(60 + WINDOW + 1):  # the answer's task, published again for then: nothing more
        assert run(comment) == outbox.SKIPPED
        assert run(status) == outbox.SKIPPED
    assert len(client_mail(client_user)) == 1


@pytest.mark.django_db
def test_the_grouping_is_per_person(request_in_progress, client_user, colleague, servicedesk):
    services.participant_add(actor=client_user, request=request_in_progress, user=colleague)
    before = mark()
    answer_then_ask(request_in_progress, servicedesk, seconds_between=30)
    rows = list(OutboundMessage.objects.filter(pk__gt=before).order_by("pk"))
    assert len(rows) == 4
    with at(30 + WINDOW):
        for row in rows:
            run(row)
    assert sorted(email.to[0] for email in mail.outbox) == [colleague.email, client_user.email]
    assert {row.state for row in map(refreshed, rows)} == {State.SENT, State.MERGED}


# --- beyond the window: two e-mails ----------------------------------------------------------

@pytest.mark.django_db
def test_news_further_apart_than_the_window_make_two_emails(
    request_in_progress, client_user, servicedesk
):
    before = mark()
    with at(0):
        services.comment_add(actor=servicedesk, request=request_in_progress, body=ANSWER)
    [comment] = to_client(before, client_user)
    with at(WINDOW):
        assert run(comment) == outbox.SENT
    with at(WINDOW + 80):
        services.request_ask_customer(actor=servicedesk, request=request_in_progress,
                                      question=QUESTION)
    status = to_client(before, client_user)[1]
    with at(WINDOW + 80 + WINDOW):
        assert run(status) == outbox.SENT
    first, second = client_mail(client_user)
    assert first.subject.endswith("— Nouvelle réponse du Customer Service")
    assert second.subject.endswith("— Nouveau statut : En attente client")
    assert QUESTION not in first.body and ANSWER not in second.body


@pytest.mark.django_db
def test_a_lively_request_still_mails_within_five_windows(
    request_in_progress, client_user, servicedesk
):
    before = mark()
    for step in range(7):  # a comment every 100 s: each within the window of the last
        with at(step * 100):
            services.comment_add(actor=servicedesk, request=request_in_progress,
                                 body=f"Point {step}.")
    rows = to_client(before, client_user)
    last = rows[-1]
    with at(599):
        assert run(rows[0]) == outbox.HELD
    with at(5 * WINDOW):  # the cap: five windows after the first news
        assert run(rows[0]) == outbox.SENT
    [email] = client_mail(client_user)
    assert all(f"Point {step}." in email.body for step in range(7))
    assert email.subject.endswith("— 7 mises à jour")
    assert refreshed(last).state == State.MERGED


# --- never delayed ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_confirmation_request_leaves_at_once_and_takes_the_waiting_answer_along(
    request_in_progress, client_user, servicedesk, django_capture_on_commit_callbacks
):
    before = mark()
    with (
        mock.patch.object(send_outbound_message_task, "apply_async") as publish,
        django_capture_on_commit_callbacks(execute=True),
        at(0),
    ):
        services.comment_add(actor=servicedesk, request=request_in_progress, body=ANSWER)
    comment = to_client(before, client_user)[0]
    publish.assert_called_once_with((comment.pk,), countdown=WINDOW, **outbox.PUBLISH_OPTIONS)

    with (
        mock.patch.object(send_outbound_message_task, "apply_async") as publish,
        django_capture_on_commit_callbacks(execute=True),
        at(20),
    ):
        services.request_propose_resolution(actor=servicedesk, request=request_in_progress,
                                            resolution="Installez la **24.1.3**.")
    confirmation = to_client(before, client_user)[1]
    assert confirmation.kind == N.CONFIRMATION_REQUEST
    assert confirmation.next_attempt_at == confirmation.created_at == T0 + timedelta(seconds=20)
    publish.assert_called_once_with((confirmation.pk,), **outbox.PUBLISH_OPTIONS)

    with at(20):  # its task, straight away
        assert run(confirmation) == outbox.SENT
    [email] = client_mail(client_user)
    assert email.subject.endswith("— Merci de confirmer la résolution")
    assert "Nous avons **trouvé** la cause" in email.body
    assert "Installez la **24.1.3**" in email.body
    assert refreshed(comment).merged_into_id == confirmation.pk
    with at(WINDOW):
        assert run(comment) == outbox.SKIPPED
    assert len(client_mail(client_user)) == 1


@pytest.mark.django_db
def test_the_receipt_and_the_password_reset_are_not_delayed(client_user, frontdesk):
    from tests import factories

    with at(0):
        factories.make_request(client_user)
        account_password_reset_request(
            address=client_user.email, base_url="http://127.0.0.1:8000", language="fr")
    for row in OutboundMessage.objects.all():
        assert row.next_attempt_at == row.created_at, row.kind
    with at(0):
        for row in OutboundMessage.objects.all():
            assert run(row) == outbox.SENT
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_a_window_of_zero_sends_each_news_at_once(
    settings, request_in_progress, client_user, servicedesk
):
    settings.NOTIFICATION_GROUP_SECONDS = 0
    before = mark()
    answer_then_ask(request_in_progress, servicedesk, seconds_between=10)
    with at(10):
        assert [run(row) for row in to_client(before, client_user)] == [outbox.SENT] * 2
    assert len(client_mail(client_user)) == 2


# --- nothing lost, nothing twice -------------------------------------------------------------

@pytest.mark.django_db
def test_a_failed_combined_send_is_retried_whole_and_sent_once(
    settings, request_in_progress, client_user, servicedesk
):
    before = mark()
    answer_then_ask(request_in_progress, servicedesk, seconds_between=30)
    comment, status = to_client(before, client_user)
    settings.EMAIL_BACKEND = FAILING
    with at(30 + WINDOW):
        assert run(status) == outbox.RETRY
    status = refreshed(status)
    assert (status.state, status.attempts) == (State.PENDING, 1)
    assert refreshed(comment).merged_into_id == status.pk  # it stays with its e-mail

    # The answer's own task comes late: its news already wait inside the question's e-mail.
    with at(30 + WINDOW + 10):
        assert run(comment) == outbox.SKIPPED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with at(30 + WINDOW + 60):  # the back-off is over
        assert run(status) == outbox.SENT
        assert run(status) == outbox.SKIPPED  # the retry delivered twice
    [email] = client_mail(client_user)
    assert "Nous avons **trouvé** la cause" in email.body and QUESTION in email.body
    assert (refreshed(status).state, status.attempts) == (State.SENT, 2)


@pytest.mark.django_db
def test_news_arriving_before_a_retry_go_out_in_the_same_email(
    settings, request_in_progress, client_user, servicedesk
):
    before = mark()
    answer_then_ask(request_in_progress, servicedesk, seconds_between=30)
    comment, status = to_client(before, client_user)
    settings.EMAIL_BACKEND = FAILING
    with at(30 + WINDOW):
        assert run(status) == outbox.RETRY
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with at(30 + WINDOW + 20):
        services.comment_add(actor=servicedesk, request=request_in_progress,
                             body="Et la 24.1.4 corrige aussi l'export.")
    late = to_client(before, client_user)[2]
    with at(30 + WINDOW + 60):  # the retry: a newer news waits, so it waits with it
        assert run(status) == outbox.HELD
    with at(30 + WINDOW + 20 + WINDOW):
        assert run(late) == outbox.SENT
        for row in (comment, status, late):
            assert run(row) == outbox.SKIPPED
    [email] = client_mail(client_user)
    for text in ("Nous avons **trouvé** la cause", QUESTION, "la 24.1.4 corrige aussi"):
        assert text in email.body
    assert email.subject.endswith("— 3 mises à jour")
    # One e-mail inside which the two others went: no chain to follow.
    assert {refreshed(row).merged_into_id for row in (comment, status)} == {late.pk}
    assert refreshed(late).state == State.SENT


@pytest.mark.django_db
def test_the_sweep_leaves_a_waiting_news_alone_until_it_is_due(
    request_in_progress, client_user, servicedesk
):
    before = mark()
    with at(0):
        services.comment_add(actor=servicedesk, request=request_in_progress, body=ANSWER)
    [comment] = to_client(before, client_user)
    grace = outbox.sweep_grace_seconds()
    assert comment.pk not in outbox.outbound_message_ids_due(
        now=T0 + timedelta(seconds=WINDOW + grace - 1))
    assert comment.pk in outbox.outbound_message_ids_due(
        now=T0 + timedelta(seconds=WINDOW + grace))


@pytest.mark.django_db
def test_a_waiting_task_comes_back_when_its_group_is_due(
    request_in_progress, client_user, servicedesk
):
    before = mark()
    answer_then_ask(request_in_progress, servicedesk, seconds_between=60)
    comment = to_client(before, client_user)[0]
    with (
        at(WINDOW),
        mock.patch.object(send_outbound_message_task, "apply_async") as schedule,
    ):
        # Called as the worker calls it (not eager), so it schedules its own return.
        assert send_outbound_message_task(comment.pk) == outbox.HELD
    schedule.assert_called_once_with((comment.pk,), countdown=60, **outbox.PUBLISH_OPTIONS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_tasks_of_one_group_run_at_once_send_one_email(
    request_in_progress, client_user, servicedesk
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (CI's second pass)")
    before = mark()
    with mock.patch.object(outbox, "publish"):  # no worker: the test runs the tasks
        answer_then_ask(request_in_progress, servicedesk, seconds_between=30)
    rows = to_client(before, client_user)
    barrier = threading.Barrier(len(rows) * 2)
    outcomes = []
    now = T0 + timedelta(seconds=30 + WINDOW)

    def worker(row):
        try:
            barrier.wait(timeout=10)
            outcomes.append(outbox.outbound_message_send(message_id=row.pk, now=now))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(row,)) for row in rows * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == [outbox.SENT] + [outbox.SKIPPED] * 3
    assert len(client_mail(client_user)) == 1
    assert sorted(refreshed(row).state for row in rows) == [State.MERGED, State.SENT]


# --- the admin -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_admin_shows_which_email_a_row_went_out_in(
    admin_client, request_in_progress, client_user, servicedesk,
    django_capture_on_commit_callbacks
):
    before = mark()
    answer_then_ask(request_in_progress, servicedesk, seconds_between=30)
    comment, status = to_client(before, client_user)
    with at(30 + WINDOW):
        run(status)
    listing = admin_client.get("/admin/requests_app/outboundmessage/?state=merged")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "Regroupé" in body
    assert f'href="/admin/requests_app/outboundmessage/{status.pk}/change/"' in body
    assert f"dans l’e-mail n° {status.pk}" in body

    merged = admin_client.get(f"/admin/requests_app/outboundmessage/{comment.pk}/change/")
    assert merged.status_code == 200
    assert f"/admin/requests_app/outboundmessage/{status.pk}/change/" in merged.content.decode()
    leader = admin_client.get(f"/admin/requests_app/outboundmessage/{status.pk}/change/")
    assert f"n° {comment.pk} (Réponse du Customer Service)" in leader.content.decode()

    # Re-sending a merged row would send its news twice: only the e-mail it went out in is.
    with (
        mock.patch.object(send_outbound_message_task, "apply_async") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        admin_client.post("/admin/requests_app/outboundmessage/", {
            "action": "resend", "_selected_action": [comment.pk, status.pk]})
    publish.assert_called_once_with((status.pk,), **outbox.PUBLISH_OPTIONS)
    assert refreshed(comment).state == State.MERGED
    with at(30 + WINDOW + 300):
        assert run(status) == outbox.SENT
    again = client_mail(client_user)[-1]
    assert len(client_mail(client_user)) == 2 and "Nous avons **trouvé**" in again.body
