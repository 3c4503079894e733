"""``seed_volume``: a backlog consistent enough to benchmark the real pages on — the mix the
benchmarks assume, clocks that agree with each status, and a counter that continues."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from requests_app import services
from requests_app.models import Comment, KeyCounter, Request, RequestEvent
from requests_app.slo_inputs import slo_history
from requests_app.workflow import OPEN_STATUSES
from requests_app.workflow import RequestStatus as S
from slo.models import SloClock
from tests import factories

pytestmark = pytest.mark.django_db

N = 600


@pytest.fixture
def seeded():
    call_command("seed_volume", requests=N, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_the_mix_the_benchmarks_assume(seeded):
    assert Request.objects.count() == N
    open_share = Request.objects.filter(status__in=OPEN_STATUSES).count() / N
    assert 0.12 < open_share < 0.24
    assert set(Request.objects.values_list("status", flat=True)) == set(S.values)
    assert Comment.objects.count() == 3 * N
    bench = Request.objects.filter(reporter__username="volume.client")
    assert set(bench.values_list("number", flat=True)) == {n for n in range(1, N + 1)
                                                           if n % 100 == 0}
    oldest = Request.objects.order_by("created_at").first().created_at
    assert (timezone.now() - oldest).days > 365


def test_clocks_agree_with_each_status_and_history(seeded):
    support = Request.objects.filter(request_type__code="support")
    assert SloClock.objects.filter(request__in=support).count() == 2 * support.count()
    assert not SloClock.objects.exclude(request__in=support).exists()
    for request in support.filter(status=S.AWAITING_CUSTOMER)[:20]:
        assert SloClock.objects.get(request=request, kind="resolution").state == "paused"
    for request in support.filter(status=S.CLOSED)[:20]:
        assert set(SloClock.objects.filter(request=request).values_list("state", flat=True)
                   ) <= {"met", "breached"}
    for request in support.filter(status=S.IN_PROGRESS)[:20]:
        resolution = SloClock.objects.get(request=request, kind="resolution")
        assert resolution.state == "running" and resolution.due_at is not None
        # The history replays to the same status the row holds.
        history = slo_history(request)
        assert history.status_changes[-1].status == request.status
        assert RequestEvent.objects.filter(request=request, kind="commented").count() == 3


def test_the_counter_continues_and_pages_render(seeded, client, client_user):
    assert KeyCounter.objects.get(name="request").value == N
    assert factories.make_request(client_user).number == N + 1
    agent = factories.make_agent("ServiceDesk", username="bench.agent")
    request = Request.objects.filter(status=S.IN_PROGRESS).first()
    services.comment_add(actor=agent, request=request, body="Suite.")
    client.force_login(agent)
    for url in ("/agent/", "/agent/queues/toutes-ouvertes/", f"/agent/requests/{request.key}/"):
        assert client.get(url).status_code == 200, url


def test_a_database_with_requests_is_refused_without_force(client_user):
    factories.make_request(client_user)
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_volume", requests=10)
    call_command("seed_volume", requests=10, force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Request.objects.count() == 11
