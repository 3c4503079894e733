"""« Reprendre »: a request waiting for its customer goes back to En cours without their
answer (they answered by phone, or the question was asked by mistake) — with a note, public or
internal, that says why; the resolution clock runs again and nothing waits for the customer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from requests_app import services
from requests_app.exceptions import InvalidInput
from requests_app.models import Comment, Request, RequestEvent
from requests_app.workflow import ConfirmationState
from requests_app.workflow import RequestStatus as S
from slo.models import SloClock
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
MONDAY = datetime(2026, 3, 2, 8, tzinfo=ZURICH)  # no holiday anywhere near
HOUR = 3600


def resolution_clock(request: Request) -> SloClock:
    return SloClock.objects.get(request=request, kind="resolution")


def test_the_clock_runs_again_and_nothing_waits_for_the_customer(
        client_user, frontdesk, daily, servicedesk):
    r = factories.make_request(client_user, at=MONDAY)
    r = services.request_qualify(actor=frontdesk, request=r, request_type=r.request_type,
                                 priority=r.priority, module=factories.module(),
                                 version="24.1", environment="production",
                                 at=MONDAY + timedelta(hours=1))
    r = services.request_start(actor=daily, request=r, assignee=servicedesk,
                               at=MONDAY + timedelta(hours=1))
    r = services.request_propose_resolution(actor=servicedesk, request=r,
                                            resolution="Paramètre corrigé.",
                                            at=MONDAY + timedelta(hours=2))
    assert resolution_clock(r).state == "paused"
    back = MONDAY + timedelta(days=1)
    r = services.request_take_back(actor=servicedesk, request=r, at=back,
                                   comment="Le client a répondu par téléphone : pas corrigé.")
    r.refresh_from_db()
    assert r.status == S.IN_PROGRESS
    assert r.confirmation_state == ConfirmationState.NONE
    assert r.awaiting_customer_since is None and r.customer_reply_due_at is None
    clock = resolution_clock(r)
    assert (clock.state, clock.resumed_at, clock.consumed_seconds) == (
        "running", back, 2 * HOUR)
    note = Comment.objects.get(request=r, body__startswith="Le client a répondu")
    assert note.is_internal and note.author == servicedesk
    event = RequestEvent.objects.filter(request=r).latest("pk")
    assert (event.payload["transition"], event.comment) == ("take_back", note)


def test_the_note_is_required_and_a_refusal_writes_nothing(walk, servicedesk):
    r = walk(S.AWAITING_CUSTOMER)
    events = RequestEvent.objects.filter(request=r).count()
    with pytest.raises(InvalidInput) as refused:
        services.request_take_back(actor=servicedesk, request=r, comment="  ")
    assert refused.value.field == "comment"
    assert "n'attend plus le client" in refused.value.message
    r.refresh_from_db()
    assert r.status == S.AWAITING_CUSTOMER and r.customer_reply_due_at is not None
    assert RequestEvent.objects.filter(request=r).count() == events


def test_the_customer_reads_a_public_note_and_a_neutral_line(
        client, walk, servicedesk, client_user):
    r = walk(S.AWAITING_CUSTOMER)
    services.request_take_back(actor=servicedesk, request=r, internal=False,
                               comment="Merci pour votre appel : nous reprenons l’analyse.")
    client.force_login(client_user)
    html = client.get(reverse("portal:request", kwargs={"key": r.key})).content.decode()
    assert "a repris la demande : votre réponse n&#x27;est plus attendue" in html
    assert "Merci pour votre appel : nous reprenons l’analyse." in html
    assert "Le Customer Service attend votre réponse" not in html


def test_the_agent_page_takes_it_back_with_an_internal_or_public_note(
        client, walk, servicedesk):
    r = walk(S.AWAITING_CUSTOMER)
    client.force_login(servicedesk)
    url = reverse("agent:transition", args=[r.key, "take_back"])
    refused = client.post(url, {"take_back-expected_status": S.AWAITING_CUSTOMER,
                                "take_back-comment": "", "take_back-internal": "on"})
    assert refused.status_code == 400
    assert "Ce champ est obligatoire." in refused.content.decode()
    r.refresh_from_db()
    assert r.status == S.AWAITING_CUSTOMER
    done = client.post(url, {"take_back-expected_status": S.AWAITING_CUSTOMER,
                             "take_back-comment": "Réponse reçue par téléphone."},
                       follow=True)
    assert f"{r.key} est reprise : elle n&#x27;attend plus le client." in done.content.decode()
    r.refresh_from_db()
    assert r.status == S.IN_PROGRESS
    assert not Comment.objects.get(request=r, body="Réponse reçue par téléphone.").is_internal
