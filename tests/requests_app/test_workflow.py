"""Every (status, action, role) of DESIGN §3: allowed exactly as the table says, refused
otherwise with a clear error and nothing written."""

from __future__ import annotations

import pytest

from portal.errors import SptError
from requests_app import services
from requests_app.exceptions import (
    PermissionDenied,
    RequestClosed,
    RequestNotFound,
    TransitionNotAllowed,
)
from requests_app.models import Request, RequestEvent
from requests_app.workflow import RequestStatus as S
from tests import factories

ROLES = ["reporter", "colleague", "outsider", "frontdesk", "daily", "servicedesk",
         "servicedesk2", "expert", "rnd", "sales"]
SD = {"servicedesk", "servicedesk2"}

# (status, action) -> the roles that may fire it. Anything not listed is refused.
ALLOWED: dict[tuple[str, str], set[str]] = {
    (S.OPEN, "qualify"): {"frontdesk"},
    (S.OPEN, "close_without_follow_up"): {"frontdesk"},
    (S.QUALIFIED, "start"): {"daily"} | SD,
    (S.IN_PROGRESS, "escalate_to_expert"): SD,
    (S.IN_PROGRESS, "send_to_rnd"): SD | {"expert"},
    (S.AWAITING_TRIAGE, "send_to_rnd"): SD | {"expert"},
    (S.AWAITING_TRIAGE, "return_to_service_desk"): {"expert"},
    (S.AWAITING_RND, "fix_available"): {"rnd"},
    (S.IN_PROGRESS, "ask_customer"): SD,
    (S.IN_PROGRESS, "propose_resolution"): SD,
    (S.IN_PROGRESS, "close_escalated"): SD,
    # ServiceDesk, and the assignee whatever their role (``walk`` assigns servicedesk).
    (S.AWAITING_CUSTOMER, "take_back"): SD,
    # close / close_without_answer need the assignee AND a condition: see the tests below.
    **{(status, "withdraw"): {"reporter"} for status in S if status != S.CLOSED},
}

TARGET = {
    "qualify": S.QUALIFIED, "close_without_follow_up": S.CLOSED, "start": S.IN_PROGRESS,
    "escalate_to_expert": S.AWAITING_TRIAGE, "send_to_rnd": S.AWAITING_RND,
    "return_to_service_desk": S.IN_PROGRESS, "fix_available": S.IN_PROGRESS,
    "ask_customer": S.AWAITING_CUSTOMER, "propose_resolution": S.AWAITING_CUSTOMER,
    "close_escalated": S.CLOSED, "close": S.CLOSED, "close_without_answer": S.CLOSED,
    "withdraw": S.CLOSED, "take_back": S.IN_PROGRESS,
}


def inputs(action: str, actor, people) -> dict:
    """What each action must be given (DESIGN §3 "Must give")."""
    return {
        "qualify": lambda: {
            "request_type": factories.request_type(), "priority": factories.priority("high"),
            "module": factories.module(), "version": "24.1", "environment": "production",
        },
        "close_without_follow_up": lambda: {"comment": "Doublon de SPT-1."},
        "start": lambda: {"assignee": actor if actor.groups.filter(name="ServiceDesk").exists()
                          else people["servicedesk"]},
        "escalate_to_expert": lambda: {"note": "Voir les journaux."},
        "return_to_service_desk": lambda: {"comment": "Paramétrage à corriger."},
        "send_to_rnd": lambda: {"rnd_reference": "RD-42"},
        "fix_available": lambda: {"comment": "Correctif 24.1.4 livré."},
        "ask_customer": lambda: {"question": "Quelle version ?"},
        "propose_resolution": lambda: {"resolution": "Paramètre corrigé."},
        "close": lambda: {},
        "close_without_answer": lambda: {"comment": "Sans nouvelles de votre part."},
        "close_escalated": lambda: {"reason": "Traité en projet."},
        "withdraw": lambda: {"reason": "Réglé de notre côté."},
        "take_back": lambda: {"comment": "Réponse reçue par téléphone."},
    }[action]()


@pytest.fixture
def people(client_user, colleague, outsider, frontdesk, daily, servicedesk, servicedesk2,
           expert, rnd, sales):
    return {
        "reporter": client_user, "colleague": colleague, "outsider": outsider,
        "frontdesk": frontdesk, "daily": daily, "servicedesk": servicedesk,
        "servicedesk2": servicedesk2, "expert": expert, "rnd": rnd, "sales": sales,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("status", list(S))
def test_every_role_on_every_action_and_status(status, people, walk):
    """One request at ``status`` takes every refusal (a refusal writes nothing, which is
    asserted each time); each allowed firing gets a request of its own."""
    shared = walk(status)
    for action, fire in services.TRANSITION_SERVICES.items():
        allowed = ALLOWED.get((status, action), set())
        for role in ROLES:
            actor = people[role]
            if role in allowed:
                request = walk(status)
                result = fire(actor=actor, request=request, **inputs(action, actor, people))
                assert result.status == TARGET[action], (role, action, status)
                assert Request.objects.get(pk=request.pk).status == TARGET[action]
                continue
            events_before = RequestEvent.objects.filter(request=shared).count()
            with pytest.raises(SptError) as refused:
                fire(actor=actor, request=shared, **inputs(action, actor, people))
            assert refused.value.message, (role, action, status)
            assert 400 <= refused.value.status < 500, (role, action, status)
            assert Request.objects.get(pk=shared.pk).status == status, (role, action)
            assert RequestEvent.objects.filter(request=shared).count() == events_before, (
                role, action, status)


@pytest.mark.django_db
def test_nothing_leaves_closed(walk, people):
    closed = walk(S.CLOSED)
    for action in services.TRANSITION_SERVICES:
        for role in ROLES:
            actor = people[role]
            with pytest.raises(SptError):
                services.TRANSITION_SERVICES[action](
                    actor=actor, request=closed, **inputs(action, actor, people))
    with pytest.raises(RequestClosed):
        services.comment_add(actor=people["reporter"], request=closed, body="Encore là ?")
    with pytest.raises(RequestClosed):
        services.comment_add(actor=people["servicedesk"], request=closed, body="Note",
                             is_internal=True)
    with pytest.raises(RequestClosed):
        services.request_update_details(actor=people["servicedesk"], request=closed,
                                        priority=factories.priority("high"))
    with pytest.raises(RequestClosed):
        services.participant_add(actor=people["reporter"], request=closed,
                                 user=people["colleague"])
    assert Request.objects.get(pk=closed.pk).status == S.CLOSED


@pytest.mark.django_db
def test_client_can_never_create_a_licence(client_user, org_a):
    with pytest.raises(PermissionDenied) as refused:
        factories.make_request(client_user, type_code="licence")
    assert "administration des ventes" in refused.value.message
    assert not Request.objects.exists()


@pytest.mark.django_db
def test_only_sales_admin_creates_licence_on_behalf_of_a_client(sales, servicedesk,
                                                                   client_user, org_a):
    with pytest.raises(PermissionDenied):
        services.request_create(
            actor=servicedesk, request_type=factories.request_type("licence"), title="Clé",
            description="Clé 2027", priority=factories.priority(), organisation=org_a,
            reporter=client_user)
    licence = services.request_create(
        actor=sales, request_type=factories.request_type("licence"), title="Clé 2027",
        description="Renouvellement", priority=factories.priority(), organisation=org_a,
        reporter=client_user)
    assert licence.reporter == client_user
    assert licence.created_by == sales
    created = licence.events.get(kind="created")
    assert created.payload["on_behalf_of"]


@pytest.mark.django_db
def test_close_needs_the_assignee_and_a_confirmation(walk, people):
    request = walk(S.IN_PROGRESS)
    request = services.request_propose_resolution(actor=people["servicedesk"], request=request,
                                                  resolution="Corrigé.")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.request_close(actor=people["servicedesk"], request=request)
    assert "confirmé" in refused.value.message
    services.resolution_confirm(actor=people["reporter"], request=request)
    for role in ROLES:
        if role == "servicedesk":
            continue
        with pytest.raises((PermissionDenied, TransitionNotAllowed, RequestNotFound)):
            services.request_close(actor=people[role], request=request)
    closed = services.request_close(actor=people["servicedesk"], request=request)
    assert closed.status == S.CLOSED
    assert closed.get_resolution_display() == "Traitée"


@pytest.mark.django_db
def test_close_without_answer_only_after_the_waiting_period(walk, people):
    import time_machine
    from django.utils import timezone

    request = walk(S.AWAITING_CUSTOMER)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.request_close_without_answer(actor=people["servicedesk"], request=request,
                                              comment="Sans nouvelles.")
    assert "jusqu'au" in refused.value.message
    with time_machine.travel(timezone.now() + timezone.timedelta(days=20)):
        with pytest.raises(PermissionDenied):
            services.request_close_without_answer(actor=people["servicedesk2"],
                                                  request=request, comment="Sans nouvelles.")
        closed = services.request_close_without_answer(
            actor=people["servicedesk"], request=request, comment="Sans nouvelles.")
    assert closed.get_resolution_display() == "Sans réponse"


@pytest.mark.django_db
def test_the_reply_deadline_is_stored_once_and_the_condition_reads_it(
    walk, people, django_assert_num_queries
):
    """Ten business days from the question, set when the request starts waiting; cleared
    when it stops waiting. The workflow's condition reads the stored value: no query."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import time_machine

    from requests_app import permissions, rules

    zurich = ZoneInfo("Europe/Zurich")
    asked = datetime(2026, 5, 11, 9, tzinfo=zurich)  # Monday; Ascension is Thursday 14.05
    request = walk(S.IN_PROGRESS)
    with time_machine.travel(asked, tick=False):
        request = services.request_ask_customer(actor=people["servicedesk"], request=request,
                                                question="Quelle version ?", at=asked)
    # Ten business days, the Ascension holiday not counted: Tuesday 26.05 at 09:00.
    assert request.customer_reply_due_at == datetime(2026, 5, 26, 9, tzinfo=zurich)
    permissions.roles_of(people["servicedesk"])  # the person's roles, read once per request
    later = datetime(2026, 5, 26, 9, 1, tzinfo=zurich)
    with time_machine.travel(later, tick=False), django_assert_num_queries(0):
        assert rules.transition_refusal(request, "close_without_answer",
                                        people["servicedesk"]) is None
    services.comment_add(actor=people["reporter"], request=request, body="La 24.1.2.")
    assert Request.objects.get(pk=request.pk).customer_reply_due_at is None


@pytest.mark.django_db
def test_client_comment_on_awaiting_customer_sends_it_back(walk, people):
    request = walk(S.AWAITING_CUSTOMER)
    services.participant_add(actor=people["reporter"], request=request,
                             user=people["colleague"])
    services.comment_add(actor=people["colleague"], request=request, body="Version 24.1.2.")
    assert Request.objects.get(pk=request.pk).status == S.IN_PROGRESS


@pytest.mark.django_db
def test_agent_comment_does_not_move_a_request_awaiting_the_customer(walk, people):
    request = walk(S.AWAITING_CUSTOMER)
    services.comment_add(actor=people["servicedesk"], request=request, body="Relance.")
    assert Request.objects.get(pk=request.pk).status == S.AWAITING_CUSTOMER


@pytest.mark.django_db
def test_denying_the_resolution_needs_a_comment_and_resumes(walk, people):
    from requests_app.exceptions import InvalidInput

    request = walk(S.IN_PROGRESS)
    services.request_propose_resolution(actor=people["servicedesk"], request=request,
                                        resolution="Corrigé.")
    with pytest.raises(InvalidInput):
        services.resolution_deny(actor=people["reporter"], request=request, body="  ")
    denied = services.resolution_deny(actor=people["reporter"], request=request,
                                      body="Toujours l'erreur 4512.")
    assert denied.status == S.IN_PROGRESS
    assert denied.confirmation_state == "denied"


@pytest.mark.django_db
def test_a_stale_page_is_refused(walk, people):
    from requests_app.exceptions import StaleRequest

    request = walk(S.IN_PROGRESS)
    services.request_escalate_to_expert(actor=people["servicedesk"], request=request,
                                        note="Pour l'expert.")
    with pytest.raises(StaleRequest):
        services.request_send_to_rnd(actor=people["servicedesk2"], request=request,
                                     rnd_reference="RD-9", expected_status=S.IN_PROGRESS)


@pytest.mark.django_db
def test_a_thank_you_after_confirming_keeps_the_confirmation(walk, people):
    request = walk(S.IN_PROGRESS)
    services.request_propose_resolution(actor=people["servicedesk"], request=request,
                                        resolution="Corrigé.")
    services.resolution_confirm(actor=people["reporter"], request=request)
    services.comment_add(actor=people["reporter"], request=request, body="Merci beaucoup !")
    after = Request.objects.get(pk=request.pk)
    assert (after.status, after.confirmation_state) == (S.AWAITING_CUSTOMER, "confirmed")
