"""Every write service starts with the one access-checked, locking getter: anything the person
may not see is "Demande introuvable." before any other check, with nothing written; and the
rules that used to live in views (assignment statuses, sales administration's reach) are
enforced by the services themselves."""

from __future__ import annotations

import inspect

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from requests_app import services
from requests_app.exceptions import PermissionDenied, RequestNotFound, TransitionNotAllowed
from requests_app.models import (
    Comment,
    NotificationMute,
    OutboundMessage,
    Participant,
    Request,
    RequestEvent,
)
from requests_app.permissions import Role
from requests_app.workflow import RequestStatus as S
from tests import factories

NOT_FOUND = "Demande introuvable."


def written() -> tuple[int, ...]:
    """Everything a write service could leave behind."""
    return (
        RequestEvent.objects.count(), Comment.objects.count(), OutboundMessage.objects.count(),
        Participant.objects.count(), NotificationMute.objects.count(),
        *Request.objects.order_by("pk").values_list("status", "updated_at", "assignee_id",
                                                    "priority_id", "confirmation_state"),
    )


def every_write(people: dict, target: Request | int) -> dict[str, object]:
    """Each write service, called on ``target`` with input that would otherwise be valid."""
    p = people
    calls = {
        "comment_add": lambda actor: services.comment_add(
            actor=actor, request=target, body="Bonjour"),
        "internal_note": lambda actor: services.comment_add(
            actor=actor, request=target, body="Note", is_internal=True),
        "comment_with_file": lambda actor: services.comment_add(
            actor=actor, request=target, body="",
            attachments=[SimpleUploadedFile("log.txt", b"x")]),
        "resolution_confirm": lambda actor: services.resolution_confirm(
            actor=actor, request=target),
        "resolution_deny": lambda actor: services.resolution_deny(
            actor=actor, request=target, body="Toujours en erreur."),
        "participant_add": lambda actor: services.participant_add(
            actor=actor, request=target, user=p["colleague"]),
        "participant_remove": lambda actor: services.participant_remove(
            actor=actor, request=target, user=p["colleague"]),
        "mute": lambda actor: services.notifications_mute_set(
            actor=actor, request=target, muted=True),
        "update_details": lambda actor: services.request_update_details(
            actor=actor, request=target, priority=factories.priority("high")),
        "assign": lambda actor: services.request_assign(
            actor=actor, request=target, assignee=p["servicedesk"]),
    }
    texts = {"comment": "Texte", "note": "Texte", "question": "Texte ?", "resolution": "Texte",
             "reason": "Texte"}
    for name, service in services.TRANSITION_SERVICES.items():
        kwargs: dict[str, object] = dict(texts)
        kwargs.update(request_type=factories.request_type(), priority=factories.priority(),
                      module=factories.module(), version="24.1", environment="production",
                      assignee=p["servicedesk"], rnd_reference="RD-9")
        accepted = inspect.signature(service).parameters
        kwargs = {key: value for key, value in kwargs.items() if key in accepted}
        calls[name] = lambda actor, service=service, kwargs=kwargs: service(
            actor=actor, request=target, **kwargs)
    return calls


@pytest.fixture
def people(client_user, colleague, outsider, frontdesk, daily, servicedesk, expert, rnd):
    return {"client": client_user, "colleague": colleague, "outsider": outsider,
            "frontdesk": frontdesk, "daily": daily, "servicedesk": servicedesk,
            "expert": expert, "rnd": rnd}


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.OPEN, S.IN_PROGRESS, S.AWAITING_CUSTOMER, S.CLOSED])
def test_every_write_service_says_not_found_to_whoever_may_not_see(status, people, walk):
    """An outsider (other organisation), a colleague on a private request and anyone on a
    request that does not exist: the same words, whatever the status (closed included),
    and nothing written."""
    private = walk(status, shared_with_organisation=False)
    cases = [
        ("outsider", people["outsider"], private),
        ("colleague of a private request", people["colleague"], private),
        ("no such request", people["servicedesk"], 987654),
    ]
    for who, actor, target in cases:
        for name, call in every_write(people, target).items():
            before = written()
            with pytest.raises(RequestNotFound) as refused:
                call(actor)
            assert str(refused.value.message) == NOT_FOUND, (status, who, name)
            assert written() == before, (status, who, name)


@pytest.mark.django_db
def test_bulk_refuses_invisible_requests_as_not_found(people, walk):
    private = walk(S.IN_PROGRESS, shared_with_organisation=False)
    result = services.requests_bulk_apply(
        actor=people["outsider"], refs=[(private.number, private.status), (987654, "open")],
        action="close_escalated", params={"reason": "Hors niveau 1."},
    )
    assert result.done == []
    assert result.refused == [(private.key, NOT_FOUND), ("SPT-987654", NOT_FOUND)]


# ------------------------------------------------------------------ assignment, one home

@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.OPEN, S.QUALIFIED])
def test_request_assign_refuses_before_prendre_en_charge(status, walk, daily, servicedesk):
    r = walk(status)
    before = written()
    with pytest.raises(TransitionNotAllowed) as refused:
        services.request_assign(actor=daily, request=r, assignee=servicedesk)
    assert "Prendre en charge / assigner" in refused.value.message
    assert written() == before
    # ... and bulk, through the same rule, says the same.
    result = services.requests_bulk_apply(actor=daily, refs=[(r.number, r.status)],
                                          action=services.BULK_ASSIGN,
                                          params={"assignee": servicedesk})
    assert result.refused == [(r.key, refused.value.message)]


@pytest.mark.django_db
def test_request_assign_reassigns_once_someone_works_on_it(walk, daily, servicedesk2):
    r = walk(S.IN_PROGRESS)
    assert services.request_assign(actor=daily, request=r, assignee=servicedesk2
                                   ).assignee_id == servicedesk2.pk


# ------------------------------------------------------------- sales administration

@pytest.mark.django_db
def test_sales_cannot_comment_on_a_support_request_it_opened(client_user, sales):
    on_behalf = services.request_create(
        actor=sales, request_type=factories.request_type("support"), title="Pour le client",
        description="Ouverte au téléphone.", priority=factories.priority(),
        organisation=client_user.profile.organisation, reporter=client_user,
    )
    before = written()
    for internal in (False, True):
        with pytest.raises(PermissionDenied):
            services.comment_add(actor=sales, request=on_behalf, body="Info",
                                 is_internal=internal)
    assert written() == before


@pytest.mark.django_db
def test_sales_comments_and_notes_on_its_licences(client_user, sales):
    licence = factories.make_licence(sales, client_user)
    services.comment_add(actor=sales, request=licence, body="Clé envoyée.")
    services.comment_add(actor=sales, request=licence, body="Facturé.", is_internal=True)
    assert licence.comments.count() == 2


@pytest.mark.django_db
def test_sales_pages_of_a_support_request_are_404(client, client_user, sales, servicedesk,
                                                  walk):
    r = walk(S.IN_PROGRESS)
    services.comment_add(actor=servicedesk, request=r, body="Capture interne",
                         is_internal=True, attachments=[SimpleUploadedFile("i.png", b"png")])
    token = r.attachments.get(is_internal=True).token
    client.force_login(sales)
    before = written()
    assert client.get(f"/agent/requests/{r.key}/").status_code == 404
    assert client.get(f"/attachments/{token}/").status_code == 404
    assert client.post(f"/agent/requests/{r.key}/comment/",
                       {"comment-body": "Note", "comment-visibility": "internal"}
                       ).status_code == 404
    assert client.post(f"/agent/requests/{r.key}/comment/",
                       {"comment-body": "Bonjour", "comment-visibility": "public"}
                       ).status_code == 404
    assert written() == before


@pytest.mark.django_db
def test_the_agent_page_offers_sales_no_comment_box_on_its_support_request(
    client, client_user, sales
):
    on_behalf = services.request_create(
        actor=sales, request_type=factories.request_type("support"), title="Pour le client",
        description="Ouverte au téléphone.", priority=factories.priority(),
        organisation=client_user.profile.organisation, reporter=client_user,
    )
    licence = factories.make_licence(sales, client_user)
    client.force_login(sales)
    assert f"/agent/requests/{on_behalf.key}/comment/" not in client.get(
        f"/agent/requests/{on_behalf.key}/").content.decode()
    assert f"/agent/requests/{licence.key}/comment/" in client.get(
        f"/agent/requests/{licence.key}/").content.decode()


@pytest.mark.django_db
def test_superuser_and_agents_still_see_everything(client_user, sales):
    licence = factories.make_licence(sales, client_user)
    r = factories.make_request(client_user, shared_with_organisation=False)
    admin = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    agent = factories.make_agent(Role.EXPERT)
    for person in (admin, agent):
        services.comment_add(actor=person, request=r, body="Vu.", is_internal=True)
        services.comment_add(actor=person, request=licence, body="Vu.", is_internal=True)


@pytest.mark.django_db
def test_sales_gets_no_note_button_on_a_colleagues_licence(client, client_user, sales):
    colleague = factories.make_agent(Role.SALES_ADMIN, username="sales2")
    theirs = factories.make_licence(colleague, client_user)
    client.force_login(sales)
    html = client.get(f"/agent/requests/{theirs.key}/").content.decode()
    assert 'value="public"' in html and 'value="internal"' not in html
    response = client.post(f"/agent/requests/{theirs.key}/comment/",
                           {"comment-body": "Note", "comment-visibility": "internal"})
    assert response.status_code == 403
    assert not theirs.comments.exists()
