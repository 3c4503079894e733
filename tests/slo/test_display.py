"""slo.display: what pages show, derived at read time, in one query; the partials."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string

from requests_app import services
from requests_app.models import Request
from slo.calendar import calendar_cache_clear
from slo.display import (
    ClockView,
    clock_views_for,
    customer_status,
    duration_text,
    nearest_clock_views_for,
)
from slo.engine import Clock, nearest
from slo.models import BusinessCalendar, SloClock
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
HOUR = 3600
MONDAY = datetime(2026, 3, 2, 8, tzinfo=ZURICH)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar_cache_clear()
    yield
    calendar_cache_clear()


def view(**kwargs) -> ClockView:
    values = {
        "kind": "resolution", "label": "Résolution", "state": "running",
        "state_label": "en cours", "elapsed_seconds": 0, "target_seconds": 4 * HOUR,
        "due_at": MONDAY, "warning_seconds": 3 * HOUR, "is_running": True,
    }
    return ClockView(**(values | kwargs))


class TestTexts:
    @pytest.mark.parametrize(("seconds", "text"), [
        (0, "0 min"), (30, "< 1 min"), (60, "1 min"), (45 * 60, "45 min"), (HOUR, "1 h"),
        (3 * HOUR + 20 * 60 + 59, "3 h 20"), (HOUR + 5 * 60, "1 h 05"), (80 * HOUR, "80 h"),
    ])
    def test_durations(self, seconds, text) -> None:
        assert duration_text(seconds) == text

    def test_remaining_and_overdue(self) -> None:
        assert view(elapsed_seconds=40 * 60).remaining_text == "3 h 20 ouvrées"
        late = view(elapsed_seconds=5 * HOUR + 4 * 60 + 1, is_over=True, state="breached")
        assert late.remaining_text == "dépassé de 1 h 05"  # overdue rounds up to the minute

    def test_share_and_badge(self) -> None:
        assert view(elapsed_seconds=HOUR).share_used_percent == 25
        assert view(elapsed_seconds=HOUR).badge_class == "slo-ok"
        assert view(elapsed_seconds=3 * HOUR).badge_class == "slo-warning"
        over = view(elapsed_seconds=6 * HOUR, is_over=True, state="breached")
        assert (over.share_used_percent, over.bar_percent, over.badge_class) == (
            150, 100, "slo-late")
        assert view(state="paused", is_running=False).badge_class == "slo-paused"
        assert view(state="met", is_running=False).badge_class == "slo-met"

    @pytest.mark.parametrize(("first", "resolution", "shown"), [
        (None, None, None),  # no SLO
        ("met", "met", None),  # closed on time: nothing to say any more
        ("breached", "breached", None),  # closed late: nor then
        ("met", "paused", None),  # waiting for the client
        ("breached", "paused", None),  # waiting for the client, the first answer was late
        ("running", "running", "on_time"),  # no answer yet, in time
        ("running late", "running", "late"),  # no answer yet, and it is late
        ("breached", "running", "on_time"),  # answered late once; the resolution is in time
        ("met", "running late", "late"),  # the resolution is late
    ], ids=lambda value: str(value))
    def test_customer_status(self, first, resolution, shown) -> None:
        def clock(kind: str, state: str | None) -> list[ClockView]:
            if state is None:
                return []
            late = state.endswith("late") or state == "breached"
            running = state.startswith("running")
            return [view(kind=kind, state="breached" if late else state.split()[0],
                         is_running=running, is_over=late)]

        views = [*clock("first_response", first), *clock("resolution", resolution)]
        assert customer_status(views) == shown

    def test_nearest_is_the_running_one_due_first_else_the_most_used_paused_else_the_verdict(
        self,
    ) -> None:
        def clock(**kwargs) -> Clock:
            return Clock(**({"kind": "resolution", "state": "running", "target_seconds": 4 * HOUR,
                             "warning_seconds": 3 * HOUR, "started_at": MONDAY} | kwargs))

        soon = clock(kind="first_response", due_at=MONDAY + timedelta(hours=1))
        later = clock(due_at=MONDAY + timedelta(days=1))
        met = clock(kind="first_response", state="met", stopped_at=MONDAY)
        assert nearest([later, soon, met]) is soon
        little = clock(state="paused", consumed_seconds=3 * HOUR)  # 75 % of 4 h
        much = clock(kind="first_response", state="paused", target_seconds=HOUR,
                     consumed_seconds=50 * 60)  # 83 %
        assert nearest([met, little, much]) is much
        breached = clock(state="breached", stopped_at=MONDAY + timedelta(hours=2))
        assert nearest([met, breached]) is breached
        assert nearest([]) is None


class TestClockViewsFor:
    def test_one_query_whatever_the_number_of_requests(
        self, walk, client_user, django_assert_num_queries
    ) -> None:
        made = [walk(status) for status in ("open", "in_progress", "awaiting_customer",
                                             "closed")]
        made += [factories.make_request(client_user) for _ in range(6)]
        patch = factories.make_request(client_user, type_code="patch")
        ids = [request.pk for request in [*made, patch]]
        at = datetime.now(tz=ZURICH)
        clock_views_for(ids[:1], at=at)  # the calendar is built once per process
        with django_assert_num_queries(1):
            shown = clock_views_for(ids, at=at)
        with django_assert_num_queries(1):
            clock_views_for(ids[:2], at=at)
        with django_assert_num_queries(0):
            assert clock_views_for([], at=at) == {}
        assert patch.pk not in shown
        assert all(len(shown[request.pk]) == 2 for request in made)
        assert [v.kind for v in shown[made[0].pk]] == ["first_response", "resolution"]

    def test_a_changed_calendar_is_picked_up_at_once(self, client_user) -> None:
        request = factories.make_request(client_user, at=MONDAY)
        before = clock_views_for([request.pk], at=MONDAY + timedelta(days=1))[request.pk]
        assert before[1].elapsed_seconds == 8 * HOUR
        calendar = BusinessCalendar.objects.get(is_default=True)
        calendar.closure_days.create(date=MONDAY.date(), label="Fermeture exceptionnelle")
        after = clock_views_for([request.pk], at=MONDAY + timedelta(days=1))[request.pk]
        assert after[1].elapsed_seconds == 0

    def test_states_through_the_life_of_a_request(self, client_user, frontdesk) -> None:
        request = factories.make_request(client_user, priority_code="blocking", at=MONDAY)
        shown = {v.kind: v for v in clock_views_for([request.pk], at=MONDAY + timedelta(
            minutes=25))[request.pk]}
        assert shown["first_response"].badge_class == "slo-warning"  # 25 of 30 min
        assert shown["first_response"].remaining_text == "5 min ouvrées"
        shown = {v.kind: v for v in clock_views_for([request.pk], at=MONDAY + timedelta(
            minutes=95))[request.pk]}
        first = shown["first_response"]
        assert (first.state, first.state_label, first.is_running) == ("breached", "dépassé", True)
        assert first.remaining_text == "dépassé de 1 h 05"
        services.comment_add(actor=frontdesk, request=request, body="Nous regardons.",
                             at=MONDAY + timedelta(hours=2))
        first = clock_views_for([request.pk], at=MONDAY + timedelta(hours=3))[request.pk][0]
        assert (first.state, first.is_running, first.elapsed_seconds) == (
            "breached", False, 2 * HOUR)


class TestStoredNearest:
    def test_nearest_running_instants_or_null(self, walk, client_user) -> None:
        running = factories.make_request(client_user, priority_code="high", at=MONDAY)
        paused = walk("awaiting_customer")
        patch = factories.make_request(client_user, type_code="patch")
        rows = {
            r.pk: (r.slo_due_at, r.slo_warn_at) for r in Request.objects.all()
        }
        first = SloClock.objects.get(request=running, kind="first_response")
        assert rows[running.pk] == (first.due_at, first.warn_at)  # 2 h before 16 h
        assert rows[paused.pk] == (None, None)
        assert rows[patch.pk] == (None, None)


class TestPartials:
    def views_of(self, request, at):
        return clock_views_for([request.pk], at=at)[request.pk]

    def test_agent_partial_shows_state_time_and_an_accessible_bar(self, client_user) -> None:
        request = factories.make_request(client_user, at=MONDAY)
        html = render_to_string("partials/slo_clocks.html", {
            "clocks": self.views_of(request, MONDAY + timedelta(minutes=40))})
        assert html.count("<progress") == 2
        assert 'aria-label="Première réponse : 16 % du délai utilisé"' in html
        assert "Reste 3 h 20 ouvrées" in html
        assert "En cours" in html
        assert "style=" not in html

    def test_customer_partial_never_shows_targets(self, client_user) -> None:
        request = factories.make_request(client_user, priority_code="blocking", at=MONDAY)
        on_time = render_to_string("partials/slo_customer.html", {
            "clocks": self.views_of(request, MONDAY + timedelta(minutes=10))})
        late = render_to_string("partials/slo_customer.html", {
            "clocks": self.views_of(request, MONDAY + timedelta(hours=1))})
        assert "Dans les délais" in on_time and "En retard" not in on_time
        assert "En retard" in late
        for html in (on_time, late):
            assert "min" not in html and " h" not in html and "%" not in html
        assert render_to_string("partials/slo_customer.html", {"clocks": []}).strip() == ""

    def test_queue_cell_shows_the_nearest_clock(self, client_user, walk) -> None:
        request = factories.make_request(client_user, priority_code="blocking", at=MONDAY)
        waiting = walk("awaiting_customer")
        patch = factories.make_request(client_user, type_code="patch")
        from requests_app.templatetags.agent_queue import slo_cell

        at = MONDAY + timedelta(minutes=20)
        cells = nearest_clock_views_for([request.pk, waiting.pk, patch.pk], at=at)
        assert set(cells) == {request.pk, waiting.pk}  # no SLO, no cell
        html = slo_cell(cells[request.pk])
        assert "10 min ouvrées" in html and "slo-ok" in html
        assert "Première réponse" in html
        waiting_cell = cells[waiting.pk]
        assert waiting_cell.kind == "resolution" and waiting_cell.is_paused
        assert "En pause" in slo_cell(waiting_cell)
