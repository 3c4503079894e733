"""The issue's "Show", with real services: a Redis broker, a Celery worker process and an SMTP
server on 127.0.0.1 (see conftest.py). CI's second pass runs them; elsewhere they skip.

1. A request created through the portal (its form, posted) yields its e-mail at the SMTP
   server within seconds.
2. A request created while the broker is stopped still yields its e-mail once it is back.
3. A send task delivered twice yields one e-mail.
4. An agent's answer and question a moment apart reach the client as one e-mail.
"""

from __future__ import annotations

import time
from unittest import mock

import pytest

from requests_app import outbox, services
from requests_app.models import OutboundMessage, Request
from requests_app.tasks import send_outbound_message_task, sweep_outbox_task
from requests_app.workflow import RequestStatus as S
from tests import factories

from .conftest import Worker, wait_until

pytestmark = [
    pytest.mark.live_services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("live_services"),
]

State = OutboundMessage.State


def state_of(message_id: int) -> str:
    return OutboundMessage.objects.values_list("state", flat=True).get(pk=message_id)


def test_a_request_created_through_the_portal_reaches_the_smtp_server_within_seconds(
    worker, smtp_server, client, client_user, frontdesk
):
    client.force_login(client_user)
    started = time.monotonic()
    response = client.post("/portal/requests/new/support/", {
        "title": "La clôture mensuelle échoue",
        "description": "Erreur 4512 à la validation.",
        "priority": factories.priority("high").pk,
        "module": factories.module().pk,
        "version": "24.1",
        "environment": "production",
        "shared_with_organisation": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    request = Request.objects.get()
    assert response["Location"] == f"/portal/requests/{request.key}/"

    received = smtp_server.wait_for("frontdesk@example.test", timeout=20)
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"{elapsed:.1f} s"
    assert received.subject == f"[{request.key}] La clôture mensuelle échoue — Demande reçue"
    assert received.mail_from == "no-reply@spt.invalid"
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    html = received.message.get_body(preferencelist=("html",)).get_content()
    assert f"http://127.0.0.1:8000/agent/requests/{request.key}/" in text
    assert "les réponses à cet e-mail ne sont pas lues" in html
    receipt = smtp_server.wait_for("client@example.test", timeout=20)
    assert receipt.subject.startswith(f"Nous avons bien reçu votre demande {request.key}")
    message = OutboundMessage.objects.get(request=request, recipient=frontdesk)
    wait_until(lambda: state_of(message.pk) == State.SENT, 10, "the row marked sent")
    print(f"\nportal POST → e-mail at the SMTP server: {elapsed:.2f} s")


def test_a_request_created_while_the_broker_is_down_is_mailed_once_it_is_back(
    worker, broker, smtp_server, client_user, frontdesk
):
    broker.stop()
    started = time.monotonic()
    request = factories.make_request(client_user)  # must not fail, nor wait long
    action_seconds = time.monotonic() - started
    message = OutboundMessage.objects.get(request=request, recipient=frontdesk)
    assert message.state == State.PENDING
    assert action_seconds < 3, f"the action waited {action_seconds:.1f} s for the broker"
    time.sleep(1)
    assert smtp_server.to("frontdesk@example.test") == []

    broker.start()
    # What beat does every minute, without the grace period the test cannot wait for.
    wait_until(lambda: sweep_outbox_task.apply(kwargs={"grace_seconds": 0}).get(), 30,
               "the sweep to publish the row")
    received = smtp_server.wait_for("frontdesk@example.test", timeout=60)
    assert received.subject.startswith(f"[{request.key}] ")
    wait_until(lambda: state_of(message.pk) == State.SENT, 10, "the row marked sent")
    assert len(smtp_server.to("frontdesk@example.test")) == 1
    print(f"\naction with the broker down took {action_seconds:.2f} s")


def test_a_send_task_delivered_twice_sends_one_email(worker, smtp_server, client_user,
                                                       frontdesk):
    with mock.patch.object(outbox, "publish"):  # keep the row pending for the test
        request = factories.make_request(client_user)
    message = OutboundMessage.objects.get(request=request, recipient=frontdesk)
    assert message.state == State.PENDING

    send_outbound_message_task.delay(message.pk)
    send_outbound_message_task.delay(message.pk)

    smtp_server.wait_for("frontdesk@example.test", timeout=20)
    wait_until(lambda: state_of(message.pk) == State.SENT, 10, "the row marked sent")
    wait_until(lambda: worker.output().count("succeeded") >= 2, 20,
               "the worker to run both deliveries")
    assert len(smtp_server.to("frontdesk@example.test")) == 1
    message.refresh_from_db()
    assert message.attempts == 1


@pytest.fixture
def grouping_worker(broker, smtp_server, tmp_path, settings):
    """A worker whose news wait ``GROUP`` seconds for others to go with (the test process,
    which writes the rows, says the same)."""
    settings.NOTIFICATION_GROUP_SECONDS = GROUP
    process = Worker(broker_url=broker.url, smtp_port=smtp_server.port, directory=tmp_path,
                     extra_env={"NOTIFICATION_GROUP_SECONDS": str(GROUP)})
    process.start()
    try:
        yield process
    finally:
        process.stop()


GROUP = 3


def test_an_answer_and_a_question_a_moment_apart_reach_the_client_as_one_email(
    grouping_worker, smtp_server, walk, client_user, servicedesk
):
    request = walk(S.IN_PROGRESS)
    smtp_server.wait_for("client@example.test", timeout=20)  # the receipt, sent at once
    wait_until(lambda: len(smtp_server.to("client@example.test")) >= 2, 3 * GROUP + 20,
               "the 'En cours' e-mail")
    before = OutboundMessage.objects.filter(request=request).latest("pk").pk
    started = time.monotonic()
    services.comment_add(actor=servicedesk, request=request, body="Nous avons **trouvé**.")
    services.request_ask_customer(actor=servicedesk, request=request,
                                  question="Pouvez-vous installer la 24.1.3 ?")
    news = OutboundMessage.objects.filter(request=request, recipient=client_user, pk__gt=before)
    wait_until(lambda: len(smtp_server.to("client@example.test")) >= 3, 3 * GROUP + 20,
               "the combined e-mail")
    elapsed = time.monotonic() - started
    assert elapsed >= GROUP - 0.5, f"sent after {elapsed:.1f} s, before its window was over"
    time.sleep(GROUP + 1)  # nothing else comes
    received = smtp_server.to("client@example.test")
    assert len(received) == 3
    combined = received[-1]
    assert combined.subject.endswith("— 2 mises à jour")
    text = combined.message.get_body(preferencelist=("plain",)).get_content()
    html = combined.message.get_body(preferencelist=("html",)).get_content()
    assert "Nous avons **trouvé**." in text and "Pouvez-vous installer la 24.1.3 ?" in text
    assert "<strong>trouvé</strong>" in html
    assert sorted(news.values_list("state", flat=True)) == [State.MERGED, State.SENT]
    print(f"\nanswer + question → one e-mail at the SMTP server: {elapsed:.2f} s")
