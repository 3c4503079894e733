"""The agent queues (selectors/queues.py): which request is in which queue, counts in one
query that agree with the lists, filters, and the order by nearest SLO due time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from requests_app import permissions, services
from requests_app.models import Request
from requests_app.selectors import queues
from requests_app.workflow import RequestStatus as S
from tests import factories


def keys(user, slug, **filters):
    queue = queues.queue_get(slug)
    return [r.key for r in queues.queue_requests(user, queue, now=timezone.now(), **filters)]


def stored_slo(due: dict, warn: dict) -> None:
    """Nearest due/warn instants as the services store them on each request (the clock
    services compute them for real; the queues only read the two columns)."""
    for pk in set(due) | set(warn):
        Request.objects.filter(pk=pk).update(slo_due_at=due.get(pk), slo_warn_at=warn.get(pk))


@pytest.fixture
def one_of_each(walk, client_user, servicedesk):
    made = {status: walk(status) for status in S}
    confirmed = walk(S.IN_PROGRESS)
    services.request_propose_resolution(actor=servicedesk, request=confirmed,
                                        resolution="Paramètre corrigé.")
    services.resolution_confirm(actor=client_user, request=confirmed)
    made["confirmed"] = confirmed
    return made


@pytest.mark.django_db
def test_each_queue_holds_exactly_the_requests_its_definition_says(one_of_each, daily,
                                                                    servicedesk):
    m = {name: r.key for name, r in one_of_each.items()}
    assert keys(daily, "a-qualifier") == [m[S.OPEN]]
    assert keys(daily, "a-planifier") == [m[S.QUALIFIED]]
    assert keys(daily, "en-cours") == [m[S.IN_PROGRESS]]
    assert keys(servicedesk, "mes-demandes") == [m[S.IN_PROGRESS]]
    assert keys(daily, "mes-demandes") == []
    assert keys(daily, "en-attente-triage") == [m[S.AWAITING_TRIAGE]]
    assert keys(daily, "en-attente-rnd") == [m[S.AWAITING_RND]]
    # A confirmed resolution no longer waits for the client: it is "À clôturer".
    assert keys(daily, "en-attente-client") == [m[S.AWAITING_CUSTOMER]]
    assert keys(daily, "a-cloturer") == [m["confirmed"]]
    assert keys(daily, "fermees-recemment") == [m[S.CLOSED]]
    assert set(keys(daily, "toutes-ouvertes")) == {
        key for name, key in m.items() if name != S.CLOSED}
    assert set(keys(daily, "toutes")) == set(m.values())


@pytest.mark.django_db
def test_counts_agree_with_the_lists_and_take_one_query(one_of_each, daily,
                                                        django_assert_num_queries):
    now = timezone.now()
    permissions.roles_of(daily)  # the person's roles are read once per request, not here
    with django_assert_num_queries(1):
        counts = queues.queue_counts(daily, now=now)
    for queue in queues.QUEUES:
        if queue.counted:
            listed = queues.queue_requests(daily, queue, now=now).count()
            assert counts[queue.slug].value == listed and not counts[queue.slug].capped, (
                queue.slug)
        else:
            assert queue.slug not in counts


@pytest.mark.django_db
def test_a_count_stops_at_its_cap_and_says_more(client_user, daily):
    """Past the cap a figure stops reading rows and says "N+"; below it, it is exact."""
    from requests_app.models import Request
    from requests_app.selectors.counting import bounded_counts

    for index in range(4):
        factories.make_request(client_user, title=f"Demande {index}")
    counts = bounded_counts({"all": Request.objects.all(), "none": Request.objects.none(),
                             "one": Request.objects.filter(title="Demande 2")}, cap=2)
    assert counts["all"].capped and str(counts["all"]) == "2+" and int(counts["all"]) == 3
    assert not counts["one"].capped and str(counts["one"]) == "1"
    assert str(counts["none"]) == "0" and not counts["none"]


@pytest.mark.django_db
def test_recently_closed_means_the_last_fourteen_days(client_user):
    now = timezone.now()
    old = factories.make_request(client_user, at=now - timedelta(days=30))
    services.request_withdraw(actor=client_user, request=old, reason="Réglé.",
                              at=now - timedelta(days=20))
    recent = factories.make_request(client_user, at=now - timedelta(days=3))
    services.request_withdraw(actor=client_user, request=recent, reason="Réglé.",
                              at=now - timedelta(days=2))
    agent = factories.make_agent(permissions.Role.DAILY)
    assert keys(agent, "fermees-recemment") == [recent.key]
    assert queues.queue_counts(agent, now=now)["fermees-recemment"] == 1
    assert old.key in keys(agent, "toutes")


@pytest.mark.django_db
def test_slo_queue_and_default_order_follow_the_nearest_due_time(walk, daily):
    now = timezone.now()
    late, soon, later, no_slo = (walk(S.IN_PROGRESS) for _ in range(4))
    closed = walk(S.CLOSED)
    stored_slo(
        due={late.pk: now - timedelta(hours=1), soon.pk: now + timedelta(hours=1),
             later.pk: now + timedelta(days=2), closed.pk: now - timedelta(days=1)},
        warn={late.pk: now - timedelta(hours=2), soon.pk: now - timedelta(minutes=5),
              later.pk: now + timedelta(days=1), closed.pk: now - timedelta(days=2)},
    )
    Request.objects.filter(pk=no_slo.pk).update(slo_due_at=None, slo_warn_at=None)
    # Nearest due first, requests without a running clock last.
    assert keys(daily, "en-cours") == [late.key, soon.key, later.key, no_slo.key]
    # At risk (past the warning) or breached, and only among open requests.
    assert keys(daily, "slo-a-risque") == [late.key, soon.key]
    assert queues.queue_counts(daily, now=now)["slo-a-risque"] == 2
    # Other orders on request.
    assert keys(daily, "en-cours", sort="newest") == [no_slo.key, later.key, soon.key, late.key]


@pytest.mark.django_db
def test_filters(walk, org_b, outsider, daily, servicedesk, servicedesk2):
    mine = walk(S.IN_PROGRESS, title="Écriture de clôture refusée")
    theirs = walk(S.IN_PROGRESS, priority_code="high")
    services.request_assign(actor=daily, request=theirs, assignee=servicedesk2)
    leman = factories.make_request(outsider, title="Étiquettes mal alignées")
    patch = walk(S.OPEN, type_code="patch")

    assert keys(daily, "toutes-ouvertes", organisation=org_b) == [leman.key]
    assert keys(daily, "en-cours", priority=factories.priority("high")) == [theirs.key]
    assert keys(daily, "toutes-ouvertes", request_type=factories.request_type("patch")) == [
        patch.key]
    assert keys(servicedesk, "en-cours", assignee="me") == [mine.key]
    assert keys(daily, "en-cours", assignee=str(servicedesk2.pk)) == [theirs.key]
    assert set(keys(daily, "toutes-ouvertes", assignee="none")) == {leman.key, patch.key}
    assert keys(daily, "toutes", text=mine.key) == [mine.key]
    assert keys(daily, "toutes", text=str(leman.number)) == [leman.key]
    # (SQLite folds the case of ASCII letters only: the test keeps the accents' case.)
    assert keys(daily, "toutes", text="MAL alignées") == [leman.key]
    assert keys(daily, "toutes", text="Chocolats") == [leman.key]


@pytest.mark.django_db
def test_queues_go_through_the_access_rule(walk, client_user, outsider, daily):
    walk(S.OPEN)
    factories.make_request(outsider)
    # A client is never given the agent pages, but even the selector would only count and
    # list what the one access rule lets them see.
    assert queues.queue_counts(outsider, now=timezone.now())["a-qualifier"] == 1
    assert len(keys(outsider, "toutes")) == 1
    assert queues.queue_counts(daily, now=timezone.now())["a-qualifier"] == 2
    found = queues.requests_by_numbers(outsider, [1, 2])
    assert [r.reporter for r in found.values()] == [outsider]


def test_queues_are_listed_with_the_persons_own_first():
    class FakeUser:
        is_authenticated = True
        _spt_roles = frozenset({permissions.Role.EXPERT})

    slugs = [queue.slug for queue in queues.queues_for_user(FakeUser())]
    assert slugs[0] == "en-attente-triage"
    assert sorted(slugs) == sorted(q.slug for q in queues.QUEUES)


@pytest.mark.django_db
def test_with_the_real_slo_clocks(client_user, daily):
    """The same, against the SLO app's own annotation: a blocking request left unanswered for
    a week is breached; one just opened is not at risk yet; a Patch has no clock."""
    now = timezone.now()
    fresh = factories.make_request(client_user, priority_code="low")
    old = factories.make_request(client_user, priority_code="blocking",
                                 at=now - timedelta(days=7))
    patch = factories.make_request(client_user, type_code="patch")
    assert keys(daily, "slo-a-risque") == [old.key]
    assert keys(daily, "a-qualifier") == [old.key, fresh.key, patch.key]
    assert queues.queue_counts(daily, now=now)["slo-a-risque"] == 1
