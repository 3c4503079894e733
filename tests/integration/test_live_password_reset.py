"""The issue's "Show", with real services (see conftest.py): the password reset asked while the
mail server's port is closed answers the normal "e-mail sent" page, and the e-mail arrives,
once, after the server is back — through the outbox's own retry, not a second request.

CI's second pass runs it (REDIS_URL and PostgreSQL); elsewhere it skips.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app.models import NotificationKind, OutboundMessage
from requests_app.tasks import sweep_outbox_task

from .conftest import SmtpServer, Worker, free_port, wait_until

pytestmark = [
    pytest.mark.live_services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("live_services"),
]

State = OutboundMessage.State


@pytest.fixture
def closed_smtp_port(live_services) -> int:
    """A free port nobody listens on: connecting is refused, as with a mail server down."""
    return free_port()


@pytest.fixture
def worker_on_closed_port(broker, closed_smtp_port, tmp_path) -> Iterator[Worker]:
    process = Worker(broker_url=broker.url, smtp_port=closed_smtp_port, directory=tmp_path)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def row(message_id: int) -> OutboundMessage:
    return OutboundMessage.objects.get(pk=message_id)


def test_the_password_reset_with_smtp_closed_is_delivered_once_smtp_is_back(
    worker_on_closed_port, closed_smtp_port, client, client_user
):
    from aiosmtpd.controller import Controller

    response = client.post(reverse("password_reset"), {"email": client_user.email},
                           follow=True)
    assert response.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert "Vérifiez votre messagerie" in response.content.decode()

    message = OutboundMessage.objects.get(kind=NotificationKind.PASSWORD_RESET)
    assert message.request is None and message.to_address == client_user.email
    # The worker tried at once and the mail server's port refused: the row waits for its retry.
    first = wait_until(
        lambda: (lambda m: m if m.state == State.PENDING and m.attempts >= 1 else None)(
            row(message.pk)),
        30, "the first attempt to fail")
    assert "Connection refused" in first.last_error or "ConnectionRefused" in first.last_error

    server = SmtpServer(port=closed_smtp_port)
    controller = Controller(server, hostname="127.0.0.1", port=closed_smtp_port)
    controller.start()
    try:
        # The worker's own retry, when the back-off the failure recorded has passed.
        wait_seconds = (first.next_attempt_at - timezone.now()).total_seconds()
        received = server.wait_for(client_user.email, timeout=max(wait_seconds, 0) + 30)
        wait_until(lambda: row(message.pk).state == State.SENT, 10, "the row marked sent")
        assert received.subject == "SPT Portal : réinitialisation de votre mot de passe"
        text = received.message.get_body(preferencelist=("plain",)).get_content()
        link = re.search(r"http://testserver(/accounts/reset/\S+/)", text)
        assert link, text
        # A sweep afterwards (beat's, every minute) finds nothing left to send.
        assert sweep_outbox_task.apply(kwargs={"grace_seconds": 0}).get() == 0
        assert len(server.to(client_user.email)) == 1
        assert row(message.pk).attempts == 2

        # The link of the e-mail that waited still works.
        page = client.get(link.group(1), follow=True)
        assert "Choisir un nouveau mot de passe" in page.content.decode()
    finally:
        controller.stop()
