"""Who sees what (DESIGN §2): one access rule for lists, pages and attachments."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from requests_app import selectors, services
from requests_app.exceptions import RequestNotFound
from tests import factories


def visible_keys(user):
    return {r.key for r in selectors.request_list_visible_to(user)}


@pytest.mark.django_db
def test_reporter_sees_their_request(client_user):
    r = factories.make_request(client_user, shared_with_organisation=False)
    assert visible_keys(client_user) == {r.key}
    assert selectors.request_get_for_user(client_user, r.key) == r


@pytest.mark.django_db
def test_colleague_sees_a_shared_request_but_not_a_private_one(client_user, colleague):
    shared = factories.make_request(client_user, shared_with_organisation=True)
    private = factories.make_request(client_user, shared_with_organisation=False)
    assert visible_keys(colleague) == {shared.key}
    with pytest.raises(RequestNotFound):
        selectors.request_get_for_user(colleague, private.key)


@pytest.mark.django_db
def test_participant_sees_a_private_request(client_user, colleague):
    private = factories.make_request(client_user, shared_with_organisation=False)
    services.participant_add(actor=client_user, request=private, user=colleague)
    assert visible_keys(colleague) == {private.key}


@pytest.mark.django_db
def test_other_organisation_sees_nothing_not_even_attachments(client_user, outsider):
    r = factories.make_request(
        client_user, attachments=[SimpleUploadedFile("journal.txt", b"erreur 4512")]
    )
    token = r.attachments.get().token
    assert visible_keys(outsider) == set()
    with pytest.raises(RequestNotFound):
        selectors.request_get_for_user(outsider, r.key)
    with pytest.raises(RequestNotFound):
        selectors.attachment_get_for_user(outsider, token)
    assert not selectors.request_timeline(outsider, r).filter(
        request__in=selectors.request_list_visible_to(outsider)).exists()


@pytest.mark.django_db
def test_agents_see_every_request(client_user, outsider, frontdesk, expert, rnd):
    a = factories.make_request(client_user, shared_with_organisation=False)
    b = factories.make_request(outsider)
    for agent in (frontdesk, expert, rnd):
        assert visible_keys(agent) == {a.key, b.key}


@pytest.mark.django_db
def test_sales_sees_the_licences_and_what_it_created(client_user, outsider, sales):
    from requests_app.permissions import Role

    support = factories.make_request(client_user)
    licence = factories.make_licence(sales, outsider)
    colleague = factories.make_agent(Role.SALES_ADMIN, username="sales2")
    theirs = factories.make_licence(colleague, client_user)
    on_behalf = services.request_create(
        actor=sales, request_type=factories.request_type("support"), title="Pour le client",
        description="Ouverte au téléphone.", priority=factories.priority(),
        organisation=client_user.profile.organisation, reporter=client_user,
    )
    assert visible_keys(sales) == {licence.key, theirs.key, on_behalf.key}
    with pytest.raises(RequestNotFound):
        selectors.request_get_for_user(sales, support.key)
    # Internal lines of another person's licence stay with the agents.
    services.comment_add(actor=factories.make_agent(Role.SERVICEDESK), request=theirs,
                         body="Contrat à vérifier.", is_internal=True)
    assert not selectors.request_timeline(sales, theirs).filter(is_internal=True).exists()
    assert not selectors.comment_list_visible_to(sales, theirs).filter(is_internal=True).exists()


@pytest.mark.django_db
def test_a_person_without_organisation_or_role_sees_nothing(client_user):
    factories.make_request(client_user)
    nobody = factories.UserFactory(username="nobody")
    assert visible_keys(nobody) == set()


@pytest.mark.django_db
def test_internal_notes_and_lines_never_reach_clients(walk, client_user, servicedesk):
    r = walk("in_progress")
    services.comment_add(actor=servicedesk, request=r, body="Secret interne", is_internal=True)
    services.request_escalate_to_expert(actor=servicedesk, request=r, note="Note pour l'expert")
    assert not selectors.comment_list_visible_to(client_user, r).filter(is_internal=True)
    assert not selectors.request_timeline(client_user, r).filter(is_internal=True).exists()
    client_bodies = [c.body for c in selectors.comment_list_visible_to(client_user, r)]
    assert "Secret interne" not in client_bodies
    agent_bodies = [c.body for c in selectors.comment_list_visible_to(servicedesk, r)]
    assert "Secret interne" in agent_bodies


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["SPT-abc", "", "SPT-", "12345678901", "SPT-1; DROP"])
def test_malformed_keys_are_not_found(client_user, key):
    with pytest.raises(RequestNotFound):
        selectors.request_get_for_user(client_user, key)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["updated", "newest", "oldest", "priority"])
def test_the_list_merged_from_the_rules_parts_is_the_rules_list_in_order(
        client_user, colleague, outsider, sort):
    """The customer list reads each part of the access rule apart and merges them: every
    page equals the page of the one-filter list, each request once, in the same order."""
    from datetime import timedelta

    from django.utils import timezone

    from requests_app.models import Request
    from requests_app.selectors import portal

    made = []
    for index in range(9):  # own (shared and private), a colleague's shared and private
        author = client_user if index % 2 else colleague
        made.append(factories.make_request(
            author, title=f"Demande {index}", shared_with_organisation=index % 3 != 0,
            priority_code=("high", "medium", "low")[index % 3]))
    taking_part = factories.make_request(colleague, title="Demande privée",
                                         shared_with_organisation=False)
    services.participant_add(actor=colleague, request=taking_part, user=client_user)
    factories.make_request(outsider, title="Demande invisible")
    # Distinct update times in an order unrelated to the numbers.
    now = timezone.now()
    for offset, request in enumerate([*made, taking_part]):
        Request.objects.filter(pk=request.pk).update(
            updated_at=now - timedelta(minutes=(offset * 7) % 11))
    filters = portal.RequestFilters(sort=sort)
    expected = list(
        selectors.request_list_visible_to(client_user)
        .order_by(*portal.SORTS[sort]).values_list("number", flat=True))
    assert taking_part.number in expected and len(expected) == len(set(expected)) == 8
    counts = portal.portal_status_counts(client_user, filters)
    assert portal.portal_list_total(filters, counts) == len(expected)
    for offset, limit in ((0, 3), (3, 3), (6, 3), (0, 20)):
        rows = portal.portal_request_rows(client_user, filters, offset=offset, limit=limit)
        assert [r.number for r in rows] == expected[offset:offset + limit]
