"""Which changes a client hears of (``notifications.TRANSITIONS_CLIENTS_HEAR_OF``), as a table
over every workflow action: what the reporter and a colleague following the request get
when someone else fires it. Hops inside Customer Service (Qualifié, En attente triage,
En attente R&D, and back) send them nothing, unless the agent wrote them a public word."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Max
from django.utils import timezone

from requests_app import notifications, services
from requests_app.models import NotificationKind as N
from requests_app.models import OutboundMessage
from requests_app.workflow import TRANSITIONS
from requests_app.workflow import RequestStatus as S

SECRET = "NOTE-INTERNE-51c2"


@dataclass(frozen=True)
class Case:
    transition: str
    start: str
    fire: Callable[[Any, Any], Any]
    # What the reporter and the participant get (None: nothing); the actor gets nothing.
    reporter: str | None
    participant: str | None
    public_comment: bool = False
    prepare: Callable[[Any, Any], Any] | None = None


def _qualify(p, r):
    return services.request_qualify(
        actor=p.frontdesk, request=r, request_type=r.request_type, priority=r.priority,
        module=p.module, version="24.1", environment="production")


def _propose_and_confirm(p, r):
    services.request_propose_resolution(actor=p.servicedesk, request=r, resolution="Corrigé.")
    services.resolution_confirm(actor=p.client_user, request=r)


def _ask_long_ago(p, r):
    services.request_ask_customer(actor=p.servicedesk, request=r, question="Version ?",
                                  at=timezone.now() - timedelta(days=60))


CASES = [
    Case("qualify", S.OPEN, _qualify, None, None),
    Case("close_without_follow_up", S.OPEN, lambda p, r: services.request_close_without_follow_up(
        actor=p.frontdesk, request=r, comment="Doublon de SPT-1."), N.CLOSED, N.CLOSED),
    Case("start", S.QUALIFIED, lambda p, r: services.request_start(
        actor=p.daily, request=r, assignee=p.servicedesk), N.STATUS_CHANGED, N.STATUS_CHANGED),
    Case("escalate_to_expert", S.IN_PROGRESS, lambda p, r: services.request_escalate_to_expert(
        actor=p.servicedesk, request=r, note=SECRET), None, None),
    Case("return_to_service_desk", S.AWAITING_TRIAGE,
         lambda p, r: services.request_return_to_service_desk(
             actor=p.expert, request=r, comment=SECRET), None, None),
    Case("return_to_service_desk", S.AWAITING_TRIAGE,
         lambda p, r: services.request_return_to_service_desk(
             actor=p.expert, request=r, comment="Le paramètre 12 est en cause.",
             internal=False), N.AGENT_COMMENT, N.AGENT_COMMENT, public_comment=True),
    Case("send_to_rnd", S.IN_PROGRESS, lambda p, r: services.request_send_to_rnd(
        actor=p.servicedesk, request=r, rnd_reference="RD-7", comment=SECRET), None, None),
    Case("fix_available", S.AWAITING_RND, lambda p, r: services.request_fix_available(
        actor=p.rnd, request=r, comment=SECRET), None, None),
    Case("fix_available", S.AWAITING_RND, lambda p, r: services.request_fix_available(
        actor=p.rnd, request=r, comment="Corrigé dans la 24.1.3.", internal=False),
        N.AGENT_COMMENT, N.AGENT_COMMENT, public_comment=True),
    Case("ask_customer", S.IN_PROGRESS, lambda p, r: services.request_ask_customer(
        actor=p.servicedesk, request=r, question="Quel est le numéro de build ?"),
        N.STATUS_CHANGED, N.STATUS_CHANGED, public_comment=True),
    Case("propose_resolution", S.IN_PROGRESS, lambda p, r: services.request_propose_resolution(
        actor=p.servicedesk, request=r, resolution="Installez la 24.1.3."),
        N.CONFIRMATION_REQUEST, N.CONFIRMATION_REQUEST, public_comment=True),
    # The reporter answers: the colleague following the request hears it is back in work.
    Case("customer_reply", S.AWAITING_CUSTOMER, lambda p, r: services.comment_add(
        actor=p.client_user, request=r, body="La 24.1.2."), None, N.STATUS_CHANGED,
        public_comment=True),
    # Taken back without their answer: the reporter and the colleague hear it no longer
    # waits for them (the note itself stays internal).
    Case("take_back", S.AWAITING_CUSTOMER, lambda p, r: services.request_take_back(
        actor=p.servicedesk, request=r, comment=SECRET), N.STATUS_CHANGED, N.STATUS_CHANGED),
    Case("close", S.IN_PROGRESS, lambda p, r: services.request_close(
        actor=p.servicedesk, request=r), N.CLOSED, N.CLOSED, prepare=_propose_and_confirm),
    Case("close_without_answer", S.IN_PROGRESS, lambda p, r: services.request_close_without_answer(
        actor=p.servicedesk, request=r, comment="Sans nouvelles de votre part."),
        N.CLOSED, N.CLOSED, prepare=_ask_long_ago),
    Case("close_escalated", S.IN_PROGRESS, lambda p, r: services.request_close_escalated(
        actor=p.servicedesk, request=r, reason="Pris en charge par le projet."),
        N.CLOSED, N.CLOSED),
    # The reporter withdraws it: the colleague hears it is closed.
    Case("withdraw", S.IN_PROGRESS, lambda p, r: services.request_withdraw(
        actor=p.client_user, request=r, reason="Plus utile."), None, N.CLOSED),
]


def test_the_table_covers_every_action_and_matches_the_rule():
    assert {case.transition for case in CASES} == set(TRANSITIONS)
    told_of_status = {case.transition for case in CASES
                      if case.participant in (N.STATUS_CHANGED, N.CLOSED)}
    assert told_of_status == notifications.TRANSITIONS_CLIENTS_HEAR_OF
    assert set(TRANSITIONS) >= notifications.TRANSITIONS_CLIENTS_HEAR_OF


@pytest.fixture
def people(client_user, colleague, frontdesk, daily, servicedesk, expert, rnd):
    from tests import factories

    class People:
        pass

    p = People()
    p.client_user, p.colleague, p.frontdesk, p.daily = client_user, colleague, frontdesk, daily
    p.servicedesk, p.expert, p.rnd, p.module = servicedesk, expert, rnd, factories.module()
    return p


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.transition + (
    "-public" if case.participant == N.AGENT_COMMENT else ""))
def test_what_the_clients_hear_of_each_action(case, walk, people):
    request = walk(case.start)
    services.participant_add(actor=people.client_user, request=request, user=people.colleague)
    if case.prepare is not None:
        case.prepare(people, request)
    before = OutboundMessage.objects.aggregate(last=Max("pk"))["last"] or 0
    case.fire(people, request)
    rows = list(OutboundMessage.objects.filter(pk__gt=before).select_related("recipient"))
    clients = {row.recipient.username: row for row in rows
               if row.recipient_id in (people.client_user.pk, people.colleague.pk)}
    assert {name: row.kind for name, row in clients.items()} == {
        name: kind for name, kind in (("client", case.reporter), ("client2", case.participant))
        if kind is not None}
    for row in rows:
        assert SECRET not in row.subject + row.body_text + row.body_html
    if case.public_comment:
        for row in clients.values():
            assert 'class="quote md"' in row.body_html  # the agent's or colleague's words
