"""The password reset (issue 11, item 4): the e-mail through the outbox, the same answer and
the same time whatever address is given, limits per address and per client.

Posted through the real page and form; the rows are the real outbox's, sent by the real task
once the transaction commits (``celery_eager``: in-process even on the pass with a broker).
"""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from requests_app import outbox
from requests_app.models import NotificationKind, OutboundMessage, Profile
from tests import factories

User = get_user_model()
URL = reverse("password_reset")
DONE = reverse("password_reset_done")
LINK = re.compile(r"http://testserver/accounts/reset/[^/\s]+/[^/\s]+/")

pytestmark = pytest.mark.usefixtures("celery_eager")


def ask(client, address: str, **extra):
    return client.post(URL, {"email": address}, **extra)


def resets() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(kind=NotificationKind.PASSWORD_RESET)
                .order_by("pk"))


def test_a_known_address_gets_one_email_through_the_outbox_and_its_link_works(
    client, client_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, "client@example.test")
    assert response.status_code == 302
    assert response["Location"] == DONE

    [row] = resets()
    assert row.request is None and row.event is None
    assert row.recipient == client_user
    assert row.to_address == "client@example.test"
    assert row.state == OutboundMessage.State.SENT
    [message] = mail.outbox
    assert message.to == ["client@example.test"]
    assert message.subject == "SPT Portal : réinitialisation de votre mot de passe"
    assert "ne sont pas lues" in message.body
    # An account's e-mail is in no request's thread, and keeps its stable identity.
    headers = message.message()
    assert headers["References"] is None
    assert headers["Message-ID"].startswith(f"<outbox-{row.pk}@")
    html = message.alternatives[0][0]
    link = LINK.search(message.body)
    assert link, message.body
    assert link.group(0) in html

    form = client.get(link.group(0), follow=True)
    assert "Choisir un nouveau mot de passe" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {
        "new_password1": "Nouveau-mot-2026", "new_password2": "Nouveau-mot-2026"})
    assert done.status_code == 302
    client_user.refresh_from_db()
    assert client_user.check_password("Nouveau-mot-2026")


def test_an_unknown_address_gets_the_same_answer_the_same_work_and_nothing_is_written(
    client, client_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = ask(client, "client@example.test")
        unknown = ask(client, "personne@example.test")
    assert (unknown.status_code, unknown["Location"], unknown.content) == (
        known.status_code, known["Location"], known.content)
    assert sorted(unknown.headers) == sorted(known.headers)
    # The e-mail was rendered on both paths (so both take as long); only one was written.
    assert [t.name for t in unknown.templates] == [t.name for t in known.templates]
    assert "emails/password_reset_body.html" in [t.name for t in unknown.templates]
    assert [row.to_address for row in resets()] == ["client@example.test"]
    assert len(mail.outbox) == 1


def test_every_answer_takes_at_least_the_floor(client, client_user, settings):
    settings.PASSWORD_RESET_MIN_SECONDS = 0.3
    for address in ("client@example.test", "personne@example.test"):
        started = time.monotonic()
        response = ask(client, address)
        elapsed = time.monotonic() - started
        assert response.status_code == 302
        assert elapsed >= 0.3, f"{address}: {elapsed:.3f} s"


@pytest.mark.parametrize("spoil", [
    pytest.param(lambda user: setattr(user, "is_active", False), id="deactivated person"),
    pytest.param(lambda user: user.set_unusable_password(), id="no password of their own"),
    pytest.param(lambda user: Profile.objects.filter(user=user).update(
        organisation=factories.OrganisationFactory(name="Fermée SA", is_active=False)),
        id="deactivated organisation"),
])
def test_no_email_for_an_account_that_may_not_sign_in(client, client_user, spoil,
                                                      django_capture_on_commit_callbacks):
    spoil(client_user)
    client_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, "client@example.test")
    assert response["Location"] == DONE
    assert resets() == []
    assert mail.outbox == []


def test_the_email_speaks_the_persons_language(client, org_a,
                                               django_capture_on_commit_callbacks):
    factories.make_client(org_a, "kunde", language="de")
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "kunde@example.test")
    [row] = resets()
    assert row.language == "de"
    assert mail.outbox[0].subject == "SPT Portal: Zurücksetzen Ihres Passworts"


def test_the_address_limit_counts_every_spelling_and_answers_the_same(client, client_user,
                                                                      settings):
    settings.PASSWORD_RESET_RATES = {"address": "2/h", "client": "100/h"}
    answers = [ask(client, address) for address in
               ("client@example.test", "  CLIENT@Example.TEST ", "Client@example.test")]
    assert [(a.status_code, a["Location"]) for a in answers] == [(302, DONE)] * 3
    assert answers[2].content == answers[0].content
    assert len(resets()) == 2
    # Another address is not held back by that one.
    ask(client, factories.make_client(client_user.profile.organisation, "client3").email)
    assert len(resets()) == 3


def test_the_client_limit_answers_a_clear_429_and_writes_nothing(client, client_user,
                                                                 settings):
    settings.PASSWORD_RESET_RATES = {"address": "100/h", "client": "2/h"}
    assert ask(client, "a@example.test").status_code == 302
    assert ask(client, "b@example.test").status_code == 302
    refused = ask(client, "client@example.test")
    assert refused.status_code == 429
    assert "Trop de demandes de réinitialisation" in refused.content.decode()
    assert resets() == []
    # Another client address is not held back.
    assert ask(client, "client@example.test", REMOTE_ADDR="198.51.100.7").status_code == 302
    assert len(resets()) == 1


def test_a_host_not_allowed_is_refused_so_no_link_points_elsewhere(client, client_user):
    response = ask(client, "client@example.test", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert resets() == []


def test_a_malformed_address_is_a_form_error(client, client_user):
    response = ask(client, "pas une adresse")
    assert response.status_code == 400
    # The portal says « e-mail », as Django REST framework's French catalogue (installed above
    # Django's own) does.
    assert "Saisissez une adresse e-mail valide." in response.content.decode()
    assert resets() == []


def test_the_admin_lists_and_shows_an_account_email(client, client_user,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "client@example.test")
    [row] = resets()
    admin = User.objects.create_superuser("root", "root@example.test", "demo")
    client.force_login(admin)
    listing = client.get(reverse("admin:requests_app_outboundmessage_changelist"))
    assert listing.status_code == 200
    assert "client@example.test" in listing.content.decode()
    page = client.get(reverse("admin:requests_app_outboundmessage_change", args=[row.pk]))
    assert page.status_code == 200
    # Its body holds a working reset link: the admin shows the row, never the link.
    assert LINK.search(row.body_text)
    assert "/accounts/reset/" not in page.content.decode()
    # Re-sending from the admin works for it as for any other row.
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbound_messages_requeue(OutboundMessage.objects.filter(pk=row.pk)) == 1
    assert len(mail.outbox) == 2
