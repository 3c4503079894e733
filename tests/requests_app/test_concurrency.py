"""Two agents firing transitions on one request at the same moment: one wins, the other gets
a clear refusal, nothing is lost. Row locks need a real server: PostgreSQL only."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from portal.errors import SptError
from requests_app import services
from requests_app.models import Request, RequestEvent
from requests_app.workflow import RequestStatus as S


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (CI's second pass)")


def race(*actions):
    """Run the actions in threads released together; return (results, errors)."""
    barrier = threading.Barrier(len(actions))
    results, errors = [], []

    def run(action):
        try:
            barrier.wait(timeout=10)
            results.append(action())
        except SptError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_transitions_racing_exactly_one_applies(postgres_only, walk, servicedesk,
                                                    servicedesk2):
    for _round in range(5):
        request = walk(S.IN_PROGRESS)
        results, errors = race(
            lambda r=request: services.request_escalate_to_expert(
                actor=servicedesk, request=r, note="Pour l'expert."),
            lambda r=request: services.request_ask_customer(
                actor=servicedesk2, request=r, question="Quelle version ?"),
        )
        assert len(results) == 1 and len(errors) == 1, (results, errors)
        assert "statut" in errors[0].message
        final = Request.objects.get(pk=request.pk)
        assert final.status == results[0].status
        assert RequestEvent.objects.filter(request=request, kind="status_changed").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_transition_twice_applies_once(postgres_only, walk, frontdesk):
    from tests import factories

    request = walk(S.OPEN)
    qualify = lambda: services.request_qualify(  # noqa: E731
        actor=frontdesk, request=request, request_type=request.request_type,
        priority=factories.priority("high"), module=factories.module(), version="24.1",
        environment="production")
    results, errors = race(qualify, qualify)
    assert len(results) == 1 and len(errors) == 1
    assert RequestEvent.objects.filter(request=request, to_status=S.QUALIFIED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_request_numbers_are_unique_under_concurrent_creation(postgres_only, client_user,
                                                              colleague):
    from tests import factories

    results, errors = race(*[
        (lambda u=u: factories.make_request(u)) for u in (client_user, colleague) * 3
    ])
    assert not errors
    numbers = sorted(r.number for r in results)
    assert numbers == list(range(numbers[0], numbers[0] + 6))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_locks_only_its_own_request_row(postgres_only, client_user, servicedesk,
                                                monkeypatch):
    """While a comment on request A is inside its transaction (its e-mails being rendered),
    the shared Priority, RequestType and Organisation rows are free (NOWAIT succeeds) and a
    comment on request B of the same priority, type and organisation goes through; only A's
    own row is held."""
    from django.db import OperationalError, transaction

    from requests_app import notifications
    from requests_app.models import Organisation, Priority, RequestType
    from tests import factories

    a = factories.make_request(client_user)
    b = factories.make_request(client_user)
    inside, release = threading.Event(), threading.Event()
    render = notifications.render_email

    def slow_render(*args, **kwargs):
        if threading.current_thread().name == "writer-a":
            inside.set()
            release.wait(timeout=20)
        return render(*args, **kwargs)

    monkeypatch.setattr(notifications, "render_email", slow_render)

    def write_a():
        try:
            services.comment_add(actor=servicedesk, request=a, body="Nous regardons.")
        finally:
            connections.close_all()

    writer = threading.Thread(target=write_a, name="writer-a")
    writer.start()
    try:
        assert inside.wait(timeout=20), "the write on A never reached its e-mails"
        with transaction.atomic():
            Priority.objects.select_for_update(nowait=True).get(pk=a.priority_id)
            RequestType.objects.select_for_update(nowait=True).get(pk=a.request_type_id)
            Organisation.objects.select_for_update(nowait=True).get(pk=a.organisation_id)
        with pytest.raises(OperationalError), transaction.atomic():
            Request.objects.select_for_update(nowait=True).get(pk=a.pk)
        # Another writer on B proceeds while A is held (its own render is not slowed).
        services.comment_add(actor=servicedesk, request=b, body="Et celle-ci aussi.")
        assert b.comments.count() == 1 and a.comments.count() == 0
    finally:
        release.set()
        writer.join(timeout=30)
    assert a.comments.count() == 1
