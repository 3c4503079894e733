"""slo.services against the database, driven through the real request services: which clocks
exist, how status, priority and type changes move them, and the recomputation after a
configuration change."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from requests_app import services
from requests_app.slo_inputs import slo_subject
from slo import services as slo_services
from slo.calendar import calendar_cache_clear
from slo.display import clock_views_for
from slo.models import BusinessCalendar, ClockAction, SloClock, SloTarget, StatusClockPolicy
from slo.tasks import recompute_clocks_task
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
HOUR = 3600
MONDAY = datetime(2026, 3, 2, 8, tzinfo=ZURICH)  # no holiday anywhere near


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar_cache_clear()
    yield
    calendar_cache_clear()


def at(hours: float = 0, days: int = 0) -> datetime:
    return MONDAY + timedelta(days=days, hours=hours)


def clocks(request) -> dict[str, SloClock]:
    return {clock.kind: clock for clock in SloClock.objects.filter(request=request)}


def views(request, when):
    return {view.kind: view for view in clock_views_for([request.pk], at=when).get(request.pk, [])}


def qualify(request, frontdesk, when, **changes):
    return services.request_qualify(
        actor=frontdesk, request=request,
        request_type=changes.get("request_type", request.request_type),
        priority=changes.get("priority", request.priority), module=factories.module(),
        version="24.1", environment="production", at=when,
    )


class TestWhichRequestsHaveClocks:
    def test_a_support_request_gets_both_clocks_running_from_its_creation(
        self, client_user
    ) -> None:
        request = factories.make_request(client_user, priority_code="high", at=at())
        made = clocks(request)
        assert set(made) == {"first_response", "resolution"}
        first, resolution = made["first_response"], made["resolution"]
        assert (first.state, first.target_seconds, first.warning_seconds) == (
            "running", 2 * HOUR, int(1.5 * HOUR))
        assert (resolution.state, resolution.target_seconds) == ("running", 16 * HOUR)
        assert first.started_at == resolution.started_at == at()
        assert first.due_at == at(hours=2)  # Monday 10:00
        assert first.warn_at == at(hours=1.5)

    @pytest.mark.parametrize("type_code", ["patch"])
    def test_a_request_without_slo_has_no_clock_and_shows_none(
        self, client_user, type_code
    ) -> None:
        request = factories.make_request(client_user, type_code=type_code, at=at())
        assert not SloClock.objects.filter(request=request).exists()
        assert clock_views_for([request.pk], at=at(1)) == {}

    def test_a_licence_has_no_clock(self, client_user, sales) -> None:
        request = services.request_create(
            actor=sales, request_type=factories.request_type("licence"), title="Clé 2027",
            description="Renouvellement.", priority=factories.priority(),
            organisation=client_user.profile.organisation, reporter=client_user, at=at(),
        )
        assert not SloClock.objects.filter(request=request).exists()

    def test_clocks_sync_is_idempotent(self, client_user) -> None:
        request = factories.make_request(client_user, at=at())
        before = list(SloClock.objects.filter(request=request).values())
        slo_services.clocks_sync(subject=slo_subject(request), at=at(1))
        slo_services.clocks_sync(subject=slo_subject(request), at=at(2))
        assert list(SloClock.objects.filter(request=request).values()) == before


class TestStatusChanges:
    def test_first_response_is_met_by_the_first_public_agent_comment(
        self, client_user, servicedesk
    ) -> None:
        request = factories.make_request(client_user, at=at())
        services.comment_add(actor=client_user, request=request, body="Précision.", at=at(0.5))
        services.comment_add(actor=servicedesk, request=request, body="Note.", is_internal=True,
                             at=at(0.75))
        assert clocks(request)["first_response"].state == "running"
        services.comment_add(actor=servicedesk, request=request, body="Nous regardons.",
                             at=at(1))
        first = clocks(request)["first_response"]
        assert (first.state, first.consumed_seconds, first.stopped_at) == ("met", HOUR, at(1))
        # A later answer or move out of Ouvert changes nothing.
        services.comment_add(actor=servicedesk, request=request, body="Encore.", at=at(5))
        assert clocks(request)["first_response"].stopped_at == at(1)

    def test_first_response_late_is_breached(self, client_user, frontdesk) -> None:
        request = factories.make_request(client_user, priority_code="blocking", at=at())
        qualify(request, frontdesk, at(1))
        first = clocks(request)["first_response"]
        assert (first.state, first.consumed_seconds) == ("breached", HOUR)

    def test_awaiting_customer_pauses_and_the_answer_resumes(
        self, client_user, servicedesk
    ) -> None:
        request = factories.make_request(client_user, at=at())
        request = walk_to_in_progress(request, at(1))
        services.request_ask_customer(actor=servicedesk, request=request, question="Version ?",
                                      at=at(2))
        resolution = clocks(request)["resolution"]
        assert (resolution.state, resolution.consumed_seconds) == ("paused", 2 * HOUR)
        assert resolution.due_at is None and resolution.warn_at is None
        services.comment_add(actor=client_user, request=request, body="24.1", at=at(days=1))
        resolution = clocks(request)["resolution"]
        assert (resolution.state, resolution.resumed_at) == ("running", at(days=1))
        assert views(request, at(days=1, hours=1))["resolution"].elapsed_seconds == 3 * HOUR

    def test_closing_stops_the_clocks_for_good(self, client_user) -> None:
        request = factories.make_request(client_user, priority_code="blocking", at=at())
        services.request_withdraw(actor=client_user, request=request, reason="Réglé.",
                                  at=at(6))
        made = clocks(request)
        # Monday 08:00-14:00 without the lunch break: 4 h 30, over Bloquante's 4 h.
        assert (made["resolution"].state, made["resolution"].consumed_seconds) == (
            "breached", 4 * HOUR + HOUR // 2)
        assert made["resolution"].stopped_at == at(6)
        assert made["resolution"].due_at is None and made["resolution"].warn_at is None


class TestPriorityAndTypeChanges:
    def test_a_priority_change_keeps_the_elapsed_time_and_takes_the_new_target(
        self, client_user, frontdesk
    ) -> None:
        request = factories.make_request(client_user, at=at())  # Moyenne, 40 h
        services.comment_add(actor=frontdesk, request=request, body="Reçu.", at=at(0.5))
        services.request_update_details(actor=frontdesk, request=request,
                                        priority=factories.priority("high"), at=at(2))
        resolution = clocks(request)["resolution"]
        assert resolution.target_seconds == 16 * HOUR
        assert resolution.consumed_seconds == 2 * HOUR and resolution.resumed_at == at(2)
        # 14 h left from Monday 10:00: used up Tuesday 17:30, exceeded from Wednesday 08:00.
        assert resolution.due_at == at(days=2)
        shown = views(request, at(3))["resolution"]
        assert (shown.elapsed_seconds, shown.remaining_seconds) == (3 * HOUR, 13 * HOUR)
        # The met first response keeps its verdict and target.
        assert clocks(request)["first_response"].target_seconds == 4 * HOUR

    def test_a_stricter_priority_over_the_target_is_breached_from_the_change(
        self, client_user, frontdesk, servicedesk
    ) -> None:
        request = walk_to_in_progress(factories.make_request(client_user, at=at()), at(1))
        services.request_update_details(actor=frontdesk, request=request,
                                        priority=factories.priority("blocking"), at=at(6))
        resolution = clocks(request)["resolution"]
        # Monday 14:00: 4 h 30 used (lunch excluded), over the 4 h of Bloquante at once.
        assert resolution.consumed_seconds == 4 * HOUR + HOUR // 2
        assert resolution.due_at == at(6)
        shown = views(request, at(7))["resolution"]
        assert (shown.state, shown.is_over, shown.overdue_seconds) == (
            "breached", True, HOUR + HOUR // 2)

    def test_a_type_change_away_from_support_removes_the_clocks(
        self, client_user, frontdesk
    ) -> None:
        request = factories.make_request(client_user, at=at())
        services.request_update_details(actor=frontdesk, request=request,
                                        request_type=factories.request_type("patch"), at=at(1))
        assert not SloClock.objects.filter(request=request).exists()

    def test_a_type_change_to_support_counts_from_the_creation(
        self, client_user, frontdesk, daily, servicedesk
    ) -> None:
        request = factories.make_request(client_user, type_code="patch", at=at())
        request = qualify(request, frontdesk, at(1))
        request = services.request_start(actor=daily, request=request, assignee=servicedesk,
                                         at=at(1.5))
        services.request_ask_customer(actor=servicedesk, request=request, question="Quand ?",
                                      at=at(2))
        services.comment_add(actor=client_user, request=request, body="Demain.",
                             at=at(days=1))
        services.request_update_details(actor=servicedesk, request=request,
                                        request_type=factories.request_type("support"),
                                        at=at(days=1, hours=1))
        made = clocks(request)
        # Replayed: first response at the move out of Ouvert (1 h), Résolution 2 h on Monday,
        # paused overnight, running again since Tuesday 08:00.
        assert (made["first_response"].state, made["first_response"].consumed_seconds) == (
            "met", HOUR)
        assert made["resolution"].state == "running"
        assert views(request, at(days=1, hours=1))["resolution"].elapsed_seconds == 3 * HOUR

    def test_a_public_answer_before_the_type_change_is_the_first_response(
        self, client_user, frontdesk
    ) -> None:
        request = factories.make_request(client_user, type_code="patch", at=at())
        services.comment_add(actor=frontdesk, request=request, body="Note.", is_internal=True,
                             at=at(0.5))
        services.comment_add(actor=frontdesk, request=request, body="Bien reçu.", at=at(1))
        services.request_update_details(actor=frontdesk, request=request,
                                        request_type=factories.request_type("support"),
                                        at=at(2))
        made = clocks(request)
        assert (made["first_response"].state, made["first_response"].stopped_at) == (
            "met", at(1))
        assert (made["resolution"].state, made["resolution"].started_at) == ("running", at())


def walk_to_in_progress(request, when):
    from requests_app.permissions import Role

    frontdesk = factories.make_agent(Role.FRONTDESK, username="frontdesk")
    daily = factories.make_agent(Role.DAILY, username="daily")
    servicedesk = factories.make_agent(Role.SERVICEDESK, username="servicedesk")
    request = qualify(request, frontdesk, when)
    return services.request_start(actor=daily, request=request, assignee=servicedesk, at=when)


@pytest.mark.usefixtures("celery_eager")
class TestRecompute:
    def test_a_target_change_is_applied_to_open_clocks_after_commit(
        self, client_user, django_capture_on_commit_callbacks
    ) -> None:
        request = factories.make_request(client_user, at=at())
        done = factories.make_request(client_user, at=at())
        services.request_withdraw(actor=client_user, request=done, reason="Réglé.", at=at(1))
        verdict = clocks(done)["resolution"].state
        target = SloTarget.objects.get(priority__code="medium", clock="resolution")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            target.target_seconds = 10 * HOUR
            target.save()
            target.save()  # one task per transaction, however many rows change
        assert len(callbacks) == 1
        resolution = clocks(request)["resolution"]
        assert resolution.target_seconds == 10 * HOUR
        assert resolution.warning_seconds == int(10 * HOUR * 0.75)
        assert clocks(done)["resolution"].state == verdict  # stopped clocks keep their verdict

    def test_a_closure_day_moves_the_due_instants(
        self, client_user, django_capture_on_commit_callbacks
    ) -> None:
        request = factories.make_request(client_user, priority_code="high", at=at())
        assert clocks(request)["resolution"].due_at == at(days=2)  # 16 h: Wednesday 08:00
        calendar = BusinessCalendar.objects.get(is_default=True)
        with django_capture_on_commit_callbacks(execute=True):
            calendar.closure_days.create(date=date(2026, 3, 3), label="Pont")
        assert clocks(request)["resolution"].due_at == at(days=3)  # Tuesday closed

    def test_a_policy_change_pauses_the_requests_in_that_status(
        self, client_user, django_capture_on_commit_callbacks
    ) -> None:
        request = factories.make_request(client_user, at=at())
        policy = StatusClockPolicy.objects.get(status="open")
        policy.clock_action = ClockAction.PAUSE
        with django_capture_on_commit_callbacks(execute=True):
            policy.save()
        assert {clock.state for clock in clocks(request).values()} == {"paused"}

    def test_the_task_reports_how_many_clocks_changed(self, client_user) -> None:
        factories.make_request(client_user, at=at())
        assert recompute_clocks_task.apply().get() == 0  # nothing changed in the configuration
