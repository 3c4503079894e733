"""The clock rules of slo.engine, pure: plain datetimes and the seeded calendar, no database."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slo import engine
from slo.calendar import WorkingCalendar, build_calendar
from slo.engine import (
    BREACHED,
    FIRST_RESPONSE,
    MET,
    PAUSED,
    RESOLUTION,
    RUNNING,
    Target,
    clock_apply,
    clock_pause,
    clock_read,
    clock_reschedule,
    clock_resume,
    clock_retarget,
    clock_start,
    clock_stop,
    clocks_replay,
    elapsed_seconds,
)

ZURICH = ZoneInfo("Europe/Zurich")
HOUR = 3600
MEDIUM_RESOLUTION = Target(seconds=40 * HOUR, warning_seconds=30 * HOUR)
MEDIUM_FIRST = Target(seconds=4 * HOUR, warning_seconds=3 * HOUR)
POLICY = {
    "open": "run", "qualified": "run", "in_progress": "run", "awaiting_triage": "run",
    "awaiting_rnd": "run", "awaiting_customer": "pause", "closed": "stop",
}


def zurich(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZURICH)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return build_calendar()


def start(calendar, at, target=MEDIUM_RESOLUTION, kind=RESOLUTION):
    return clock_start(kind=kind, target=target, at=at, calendar=calendar)


class TestRunning:
    def test_a_new_clock_knows_when_it_warns_and_when_it_is_due(self, calendar) -> None:
        # Monday 2 March 2026 08:00, 4 h target: warned at 3 h (11:00), used up at 12:00,
        # exceeded only once working time resumes after lunch (13:30).
        clock = start(calendar, zurich(2026, 3, 2, 8), MEDIUM_FIRST, FIRST_RESPONSE)
        assert clock.state == RUNNING
        assert clock.warn_at == zurich(2026, 3, 2, 11)
        assert clock.due_at == zurich(2026, 3, 2, 13, 30)
        start_afternoon = start(calendar, zurich(2026, 3, 2, 9), MEDIUM_FIRST, FIRST_RESPONSE)
        assert start_afternoon.due_at == zurich(2026, 3, 2, 14, 30)

    def test_elapsed_counts_business_time_only(self, calendar) -> None:
        clock = start(calendar, zurich(2026, 3, 6, 15))  # a Friday
        assert elapsed_seconds(clock, at=zurich(2026, 3, 9, 9), calendar=calendar) == (
            2 * HOUR + HOUR // 2 + HOUR  # Friday 15:00-17:30, Monday 08:00-09:00
        )

    def test_a_target_used_up_at_closing_time_is_due_at_the_next_opening(
        self, calendar
    ) -> None:
        # Friday 16:00 + 1 h 30 ends at 17:30 sharp: nothing is exceeded before Monday 08:00.
        clock = start(calendar, zurich(2026, 3, 6, 16), Target(90 * 60, 60 * 60))
        assert clock.due_at == zurich(2026, 3, 9, 8)
        saturday = clock_read(clock, at=zurich(2026, 3, 7, 10), calendar=calendar)
        assert (saturday.over, saturday.remaining_seconds) == (False, 0)
        monday = clock_read(clock, at=zurich(2026, 3, 9, 8, 10), calendar=calendar)
        assert (monday.over, monday.overdue_seconds) == (True, 600)

    def test_reading_a_running_clock(self, calendar) -> None:
        clock = start(calendar, zurich(2026, 3, 2, 8))
        reading = clock_read(clock, at=zurich(2026, 3, 2, 10, 30), calendar=calendar)
        assert reading.state == RUNNING
        assert reading.elapsed_seconds == 2 * HOUR + 30 * 60
        assert reading.remaining_seconds == 40 * HOUR - reading.elapsed_seconds
        assert not reading.over


class TestPauseResumeStop:
    def test_pause_freezes_the_elapsed_time_and_clears_the_instants(self, calendar) -> None:
        clock = start(calendar, zurich(2026, 3, 2, 8))
        paused = clock_pause(clock, at=zurich(2026, 3, 2, 9), calendar=calendar)
        assert paused.state == PAUSED
        assert paused.consumed_seconds == HOUR
        assert (paused.due_at, paused.warn_at, paused.resumed_at) == (None, None, None)
        assert elapsed_seconds(paused, at=zurich(2026, 3, 20, 9), calendar=calendar) == HOUR

    def test_resume_moves_the_due_instant_by_the_paused_business_time(self, calendar) -> None:
        clock = start(calendar, zurich(2026, 3, 2, 8), MEDIUM_FIRST)  # due Monday 12:00
        paused = clock_pause(clock, at=zurich(2026, 3, 2, 9), calendar=calendar)
        resumed = clock_resume(paused, at=zurich(2026, 3, 3, 14), calendar=calendar)
        # 3 h left from Tuesday 14:00: 14:00-17:30 is 3 h 30, so due at 17:00.
        assert resumed.due_at == zurich(2026, 3, 3, 17)
        assert resumed.warn_at == zurich(2026, 3, 3, 16)

    def test_stop_decides_met_or_breached_once(self, calendar) -> None:
        clock = start(calendar, zurich(2026, 3, 2, 8), MEDIUM_FIRST)
        met = clock_stop(clock, at=zurich(2026, 3, 2, 12), calendar=calendar)
        assert (met.state, met.consumed_seconds) == (MET, 4 * HOUR)  # exactly the target: met
        late = clock_stop(clock, at=zurich(2026, 3, 2, 13, 31), calendar=calendar)
        assert (late.state, late.consumed_seconds) == (BREACHED, 4 * HOUR + 60)
        # A stopped clock never changes again.
        again = clock_stop(met, at=zurich(2026, 3, 9, 8), calendar=calendar)
        assert again == met
        assert clock_resume(met, at=zurich(2026, 3, 9, 8), calendar=calendar) == met
        assert clock_retarget(met, Target(60, 45), at=zurich(2026, 3, 9), calendar=calendar) == met

    def test_apply_follows_the_policy_actions(self, calendar) -> None:
        at = zurich(2026, 3, 2, 9)
        clock = start(calendar, zurich(2026, 3, 2, 8))
        assert clock_apply(clock, "pause", at=at, calendar=calendar).state == PAUSED
        assert clock_apply(clock, "stop", at=at, calendar=calendar).state == MET
        assert clock_apply(clock, "run", at=at, calendar=calendar) == clock


class TestRetarget:
    def test_a_new_target_keeps_the_elapsed_time(self, calendar) -> None:
        clock = start(calendar, zurich(2026, 3, 2, 8))  # Moyenne, 40 h
        at = zurich(2026, 3, 2, 10)
        high = clock_retarget(clock, Target(16 * HOUR, 12 * HOUR), at=at, calendar=calendar)
        assert elapsed_seconds(high, at=at, calendar=calendar) == 2 * HOUR
        assert high.target_seconds == 16 * HOUR
        # 14 h left from Monday 10:00: Monday 6 h, Tuesday 8 h, used up Tuesday 17:30, so
        # exceeded from Wednesday's opening.
        assert high.due_at == zurich(2026, 3, 4, 8)
        assert high.warn_at == zurich(2026, 3, 3, 12)  # 12 h reached at Tuesday noon

    def test_a_stricter_target_already_exceeded_is_due_at_the_change(self, calendar) -> None:
        clock = start(calendar, zurich(2026, 3, 2, 8))
        at = zurich(2026, 3, 2, 15)  # 5 h 30 elapsed
        blocking = clock_retarget(clock, Target(4 * HOUR, 3 * HOUR), at=at, calendar=calendar)
        assert blocking.due_at == at and blocking.warn_at == at
        assert clock_read(blocking, at=at + timedelta(minutes=1), calendar=calendar).over

    def test_a_paused_clock_takes_the_target_and_schedules_on_resume(self, calendar) -> None:
        paused = clock_pause(start(calendar, zurich(2026, 3, 2, 8)), at=zurich(2026, 3, 2, 9),
                             calendar=calendar)
        retargeted = clock_retarget(paused, MEDIUM_FIRST, at=zurich(2026, 3, 2, 10),
                                    calendar=calendar)
        assert (retargeted.state, retargeted.target_seconds, retargeted.due_at) == (
            PAUSED, 4 * HOUR, None)
        resumed = clock_resume(retargeted, at=zurich(2026, 3, 3, 8), calendar=calendar)
        assert resumed.due_at == zurich(2026, 3, 3, 11)  # 3 h left from 08:00


class TestCalendarChange:
    def test_a_new_closure_day_moves_the_due_instant(self, calendar) -> None:
        clock = start(calendar, zurich(2026, 3, 2, 8), Target(16 * HOUR, 12 * HOUR))
        assert clock.due_at == zurich(2026, 3, 4, 8)
        closed_tuesday = build_calendar(closures=[zurich(2026, 3, 3).date()])
        moved = clock_reschedule(clock, calendar=closed_tuesday)
        assert moved.due_at == zurich(2026, 3, 5, 8)
        assert moved.consumed_seconds == clock.consumed_seconds


class TestReplay:
    def test_at_creation_both_clocks_start(self, calendar) -> None:
        at = zurich(2026, 3, 2, 8)
        clocks = clocks_replay(
            created_at=at, status_changes=[], first_response_at=None, actions=POLICY,
            targets={FIRST_RESPONSE: MEDIUM_FIRST, RESOLUTION: MEDIUM_RESOLUTION},
            at=at, calendar=calendar, initial_status="open",
        )
        assert {kind: clock.state for kind, clock in clocks.items()} == {
            FIRST_RESPONSE: RUNNING, RESOLUTION: RUNNING}

    def test_history_is_replayed_with_the_policy(self, calendar) -> None:
        created = zurich(2026, 3, 2, 8)
        changes = [
            (zurich(2026, 3, 2, 9), "qualified"),
            (zurich(2026, 3, 2, 10), "in_progress"),
            (zurich(2026, 3, 2, 11), "awaiting_customer"),
            (zurich(2026, 3, 3, 8), "in_progress"),
        ]
        clocks = clocks_replay(
            created_at=created, status_changes=changes, first_response_at=zurich(2026, 3, 2, 9),
            actions=POLICY, targets={FIRST_RESPONSE: MEDIUM_FIRST, RESOLUTION: MEDIUM_RESOLUTION},
            at=zurich(2026, 3, 3, 10), calendar=calendar, initial_status="open",
        )
        first, resolution = clocks[FIRST_RESPONSE], clocks[RESOLUTION]
        assert (first.state, first.consumed_seconds) == (MET, HOUR)
        # 08:00-11:00 Monday, then paused until Tuesday 08:00, running since.
        assert resolution.state == RUNNING
        assert elapsed_seconds(resolution, at=zurich(2026, 3, 3, 10), calendar=calendar) == (
            5 * HOUR)

    def test_kinds_without_a_target_get_no_clock(self, calendar) -> None:
        at = zurich(2026, 3, 2, 8)
        clocks = clocks_replay(
            created_at=at, status_changes=[], first_response_at=None, actions=POLICY,
            targets={RESOLUTION: MEDIUM_RESOLUTION}, at=at, calendar=calendar,
            initial_status="open",
        )
        assert list(clocks) == [RESOLUTION]


# ------------------------------------------------------------------------------ properties

instants = st.integers(min_value=0, max_value=3 * 365 * 24 * 60).map(
    lambda minutes: datetime(2025, 1, 1, tzinfo=ZURICH) + timedelta(minutes=minutes)
)
durations = st.integers(min_value=0, max_value=400 * 60).map(lambda minutes: minutes * 60)


@settings(max_examples=200, deadline=None)
@given(start_at=instants, pause_after=durations, resume_after=durations,
       stop_after=durations)
def test_pauses_never_count_and_running_time_always_does(
    start_at, pause_after, resume_after, stop_after
) -> None:
    """Whatever the instants: elapsed = business time while running, none while paused; and
    the verdict agrees with the stored due instant."""
    calendar = build_calendar()
    clock = clock_start(kind=RESOLUTION, target=MEDIUM_RESOLUTION, at=start_at,
                        calendar=calendar)
    pause_at = calendar.add_business_seconds(start_at, pause_after)
    paused = clock_pause(clock, at=pause_at, calendar=calendar)
    assert paused.consumed_seconds == calendar.business_seconds_between(start_at, pause_at)
    resume_at = pause_at + timedelta(seconds=resume_after)
    resumed = clock_resume(paused, at=resume_at, calendar=calendar)
    stop_at = calendar.add_business_seconds(resume_at, stop_after)
    stopped = clock_stop(resumed, at=stop_at, calendar=calendar)
    assert stopped.consumed_seconds == paused.consumed_seconds + stop_after
    assert (stopped.state == MET) == (stopped.consumed_seconds <= MEDIUM_RESOLUTION.seconds)
    if paused.consumed_seconds <= MEDIUM_RESOLUTION.seconds:
        # The stored instant and the verdict agree: breached exactly when stopped after it.
        assert (stopped.state == BREACHED) == (stop_at > resumed.due_at)
    # At its due instant a clock is not over yet — unless it was already over its target
    # when it resumed: then it is over from the resume on (its breach holds).
    over_when_resumed = paused.consumed_seconds > MEDIUM_RESOLUTION.seconds
    assert engine.clock_read(resumed, at=resumed.due_at, calendar=calendar).over is (
        over_when_resumed)
