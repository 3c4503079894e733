"""Business-time arithmetic: fixed examples, then properties against a plain reference.

The reference is deliberately naive: it walks real time minute by minute, converts each
minute to Zurich wall-clock time with ``astimezone`` and asks "is this weekday/time inside a
span, and is the date not a holiday?". It shares no code with ``slo.calendar``. Everything
here is pure: no database, no clock.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slo.calendar import (
    DEFAULT_WEEKLY_SPANS,
    WorkingCalendar,
    build_calendar,
    seeded_default_calendar,
    swiss_public_holidays,
)

ZURICH = ZoneInfo("Europe/Zurich")
HOUR = 3600
MINUTE = timedelta(minutes=1)


def zurich(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZURICH)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return build_calendar()


# A night-shift calendar whose hours cross both daylight-saving changes (02:00-03:00 local).
NIGHT_SPANS = {weekday: [("00:00", "06:00"), ("22:00", "23:59")] for weekday in range(7)}


@pytest.fixture
def night() -> WorkingCalendar:
    return build_calendar(weekly_spans=NIGHT_SPANS, public_holidays=False)


# --------------------------------------------------------------------------- fixed examples


class TestAddBusinessSeconds:
    def test_friday_afternoon_rolls_over_the_weekend(self, calendar: WorkingCalendar) -> None:
        # 16:00-17:30 is 1 h 30 on Friday; the remaining 30 min are Monday 08:00-08:30.
        assert calendar.add_business_seconds(zurich(2026, 11, 27, 16), 2 * HOUR) == zurich(
            2026, 11, 30, 8, 30
        )
        assert calendar.add_business_seconds(zurich(2026, 11, 27, 16, 30), 2 * HOUR) == zurich(
            2026, 11, 30, 9
        )

    def test_result_on_a_closing_time_is_that_closing_time(self, calendar: WorkingCalendar) -> None:
        assert calendar.add_business_seconds(zurich(2026, 11, 27, 16), 90 * 60) == zurich(
            2026, 11, 27, 17, 30
        )
        assert calendar.add_business_seconds(zurich(2026, 11, 24, 10), 2 * HOUR) == zurich(
            2026, 11, 24, 12
        )

    def test_lunch_break_is_skipped(self, calendar: WorkingCalendar) -> None:
        assert calendar.add_business_seconds(zurich(2026, 11, 24, 11), 2 * HOUR) == zurich(
            2026, 11, 24, 14, 30
        )
        assert calendar.add_business_seconds(zurich(2026, 11, 24, 12, 15), 60) == zurich(
            2026, 11, 24, 13, 31
        )

    def test_ascension_is_closed(self, calendar: WorkingCalendar) -> None:
        # Wednesday 13 May 2026 16:00 + 2 h: Thursday 14 May (Ascension) is skipped.
        assert calendar.add_business_seconds(zurich(2026, 5, 13, 16), 2 * HOUR) == zurich(
            2026, 5, 15, 8, 30
        )

    def test_national_day_on_a_friday_is_closed(self, calendar: WorkingCalendar) -> None:
        # 1 August 2025 was a Friday (in 2026 it falls on a Saturday).
        assert calendar.add_business_seconds(zurich(2025, 7, 31, 17), HOUR) == zurich(
            2025, 8, 4, 8, 30
        )

    def test_spring_forward_weekend(self, calendar: WorkingCalendar) -> None:
        # Clocks go forward on Sunday 29 March 2026; Monday opens at 08:00 CEST (06:00 UTC).
        result = calendar.add_business_seconds(zurich(2026, 3, 27, 16), 4 * HOUR)
        assert result == zurich(2026, 3, 30, 10, 30)
        assert result.utcoffset() == timedelta(hours=2)

    def test_fall_back_weekend(self, calendar: WorkingCalendar) -> None:
        result = calendar.add_business_seconds(zurich(2026, 10, 23, 17), HOUR)
        assert result == zurich(2026, 10, 26, 8, 30)
        assert result.utcoffset() == timedelta(hours=1)

    def test_utc_in_zurich_out(self, calendar: WorkingCalendar) -> None:
        result = calendar.add_business_seconds(datetime(2026, 11, 27, 15, tzinfo=UTC), 2 * HOUR)
        assert result.tzinfo == ZURICH
        assert (result.hour, result.minute) == (8, 30)
        assert result == datetime(2026, 11, 30, 7, 30, tzinfo=UTC)

    def test_start_outside_hours_counts_from_next_opening(self, calendar: WorkingCalendar) -> None:
        assert calendar.add_business_seconds(zurich(2026, 11, 28, 10), HOUR) == zurich(
            2026, 11, 30, 9
        )
        assert calendar.add_business_seconds(zurich(2026, 11, 24, 7), 30 * 60) == zurich(
            2026, 11, 24, 8, 30
        )
        assert calendar.add_business_seconds(zurich(2026, 11, 24, 19), 60) == zurich(
            2026, 11, 25, 8, 1
        )

    def test_zero_returns_start_unchanged(self, calendar: WorkingCalendar) -> None:
        saturday = datetime(2026, 11, 28, 9, tzinfo=UTC)
        result = calendar.add_business_seconds(saturday, 0)
        assert result == saturday
        assert result.tzinfo == ZURICH

    def test_keeps_sub_second_precision(self, calendar: WorkingCalendar) -> None:
        start = zurich(2026, 11, 24, 9).replace(microsecond=250_000)
        assert calendar.add_business_seconds(start, 10) == start + timedelta(seconds=10)
        assert calendar.add_business_seconds(start, 0.5) == start + timedelta(seconds=0.5)

    def test_long_spans_jump_whole_weeks_exactly(self, calendar: WorkingCalendar) -> None:
        # 2026 has 261 weekdays, 3 of them federal holidays (1 Jan, 14 May, 25 Dec):
        # 258 working days of 8 h. The last business second of 2026 ends on 31 Dec at 17:30.
        start = zurich(2026, 1, 1)
        assert calendar.add_business_seconds(start, 258 * 8 * HOUR) == zurich(2026, 12, 31, 17, 30)

    def test_rejects_negative_and_naive(self, calendar: WorkingCalendar) -> None:
        with pytest.raises(ValueError):
            calendar.add_business_seconds(zurich(2026, 11, 24, 9), -1)
        with pytest.raises(ValueError):
            calendar.add_business_seconds(datetime(2026, 11, 24, 9), 60)

    def test_calendar_without_hours_cannot_add(self) -> None:
        empty = build_calendar(weekly_spans={})
        assert empty.business_seconds_between(zurich(2026, 1, 1), zurich(2027, 1, 1)) == 0
        with pytest.raises(ValueError):
            empty.add_business_seconds(zurich(2026, 1, 1), 1)


class TestBusinessSecondsBetween:
    def test_over_the_weekend(self, calendar: WorkingCalendar) -> None:
        assert calendar.business_seconds_between(
            zurich(2026, 11, 27, 16), zurich(2026, 11, 30, 9)
        ) == int(2.5 * HOUR)

    def test_lunch_break(self, calendar: WorkingCalendar) -> None:
        assert (
            calendar.business_seconds_between(
                zurich(2026, 11, 24, 11, 30), zurich(2026, 11, 24, 14)
            )
            == HOUR
        )
        assert (
            calendar.business_seconds_between(
                zurich(2026, 11, 24, 12), zurich(2026, 11, 24, 13, 30)
            )
            == 0
        )

    def test_holidays(self, calendar: WorkingCalendar) -> None:
        # Wednesday 13 May 08:00 to Friday 15 May 17:30: Ascension counts for nothing.
        assert (
            calendar.business_seconds_between(zurich(2026, 5, 13, 8), zurich(2026, 5, 15, 17, 30))
            == 16 * HOUR
        )
        # 1 August 2026 is a Saturday: Friday 31 July and Monday 3 August are full days.
        assert (
            calendar.business_seconds_between(zurich(2026, 7, 31), zurich(2026, 8, 4)) == 16 * HOUR
        )

    def test_daylight_saving_weekends(self, calendar: WorkingCalendar) -> None:
        # Friday 17:00 CET to Monday 09:00 CEST: 30 min + 1 h, whatever the clocks did.
        assert calendar.business_seconds_between(
            zurich(2026, 3, 27, 17), zurich(2026, 3, 30, 9)
        ) == int(1.5 * HOUR)
        assert calendar.business_seconds_between(
            zurich(2026, 10, 23, 17), zurich(2026, 10, 26, 9)
        ) == int(1.5 * HOUR)

    def test_reversed_or_empty_interval_is_zero(self, calendar: WorkingCalendar) -> None:
        assert (
            calendar.business_seconds_between(zurich(2026, 11, 24, 10), zurich(2026, 11, 24, 9))
            == 0
        )
        at = zurich(2026, 11, 24, 10)
        assert calendar.business_seconds_between(at, at) == 0

    def test_outside_hours_on_both_ends(self, calendar: WorkingCalendar) -> None:
        assert (
            calendar.business_seconds_between(zurich(2026, 11, 28, 10), zurich(2026, 11, 29, 22))
            == 0
        )
        assert (
            calendar.business_seconds_between(zurich(2026, 11, 23, 6), zurich(2026, 11, 23, 20))
            == 8 * HOUR
        )

    def test_any_input_zones(self, calendar: WorkingCalendar) -> None:
        new_york = ZoneInfo("America/New_York")
        start = datetime(2026, 11, 24, 8, tzinfo=UTC)  # 09:00 in Zurich
        end = datetime(2026, 11, 24, 5, tzinfo=new_york)  # 11:00 in Zurich
        assert calendar.business_seconds_between(start, end) == 2 * HOUR

    def test_truncates_to_whole_seconds(self, calendar: WorkingCalendar) -> None:
        start = zurich(2026, 11, 24, 9)
        assert calendar.business_seconds_between(start, start + timedelta(seconds=1.9)) == 1

    def test_whole_year(self, calendar: WorkingCalendar) -> None:
        weekdays = sum(
            1 for offset in range(365) if (date(2026, 1, 1) + timedelta(days=offset)).weekday() < 5
        )
        assert weekdays == 261
        assert (
            calendar.business_seconds_between(zurich(2026, 1, 1), zurich(2027, 1, 1))
            == (261 - 3) * 8 * HOUR
        )

    def test_decades_equal_the_sum_of_their_years(self, calendar: WorkingCalendar) -> None:
        years = [zurich(year, 1, 1) for year in range(2020, 2041)]
        by_year = sum(
            calendar.business_seconds_between(start, end)
            for start, end in zip(years, years[1:], strict=False)
        )
        fresh = build_calendar()  # its exception table is loaded in one go
        assert fresh.business_seconds_between(years[0], years[-1]) == by_year

    def test_rejects_naive(self, calendar: WorkingCalendar) -> None:
        with pytest.raises(ValueError):
            calendar.business_seconds_between(datetime(2026, 1, 1), zurich(2026, 1, 2))


class TestDaylightSavingWithNightHours:
    """Hours that cross 02:00-03:00: the days the clocks change are 1 h shorter / longer."""

    def test_spring_night_is_an_hour_shorter(self, night: WorkingCalendar) -> None:
        assert night.business_seconds_between(zurich(2026, 3, 28, 12), zurich(2026, 3, 29, 12)) == (
            2 * HOUR - 60 + 5 * HOUR
        )
        assert (
            night.business_seconds_between(zurich(2026, 3, 29), zurich(2026, 3, 29, 6)) == 5 * HOUR
        )

    def test_autumn_night_is_an_hour_longer(self, night: WorkingCalendar) -> None:
        assert (
            night.business_seconds_between(zurich(2026, 10, 25), zurich(2026, 10, 25, 6))
            == 7 * HOUR
        )
        assert night.business_seconds_between(
            zurich(2026, 10, 24, 12), zurich(2026, 10, 25, 12)
        ) == (2 * HOUR - 60 + 7 * HOUR)

    def test_adding_across_the_gap(self, night: WorkingCalendar) -> None:
        # 01:30 CET + 1 h: 01:30-02:00, then 03:00-03:30 CEST.
        result = night.add_business_seconds(zurich(2026, 3, 29, 1, 30), HOUR)
        assert result == zurich(2026, 3, 29, 3, 30)
        # Aware datetimes sharing a tzinfo subtract as wall-clock times: compare in UTC.
        assert result.astimezone(UTC) - zurich(2026, 3, 29, 1, 30).astimezone(UTC) == timedelta(
            hours=1
        )

    def test_adding_across_the_repeated_hour(self, night: WorkingCalendar) -> None:
        # 01:30 CEST + 2 h of real time: 02:30 CEST, then 02:30 CET again (second fold).
        start = zurich(2026, 10, 25, 1, 30)
        result = night.add_business_seconds(start, 2 * HOUR)
        # PEP 495: an instant in the repeated hour (fold=1) never compares equal across zones,
        # so compare in UTC.
        assert result.astimezone(UTC) == start.astimezone(UTC) + timedelta(hours=2)
        assert (result.hour, result.minute, result.fold) == (2, 30, 1)

    def test_is_working_time_in_both_folds(self, night: WorkingCalendar) -> None:
        first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
        second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
        assert night.is_working_time(first)
        assert night.is_working_time(second)


class TestAddBusinessDays:
    def test_same_time_two_weeks_later(self, calendar: WorkingCalendar) -> None:
        assert calendar.add_business_days(zurich(2026, 11, 24, 15), 10) == zurich(2026, 12, 8, 15)

    def test_holiday_pushes_one_day(self, calendar: WorkingCalendar) -> None:
        assert calendar.add_business_days(zurich(2026, 5, 13, 10), 1) == zurich(2026, 5, 15, 10)
        # Across Christmas and New Year: 25 Dec and 1 Jan are closed.
        assert calendar.add_business_days(zurich(2026, 12, 22, 9), 10) == zurich(2027, 1, 7, 9)

    def test_before_opening_after_closing_and_weekend(self, calendar: WorkingCalendar) -> None:
        assert calendar.add_business_days(zurich(2026, 11, 24, 7), 1) == zurich(2026, 11, 25, 8)
        assert calendar.add_business_days(zurich(2026, 11, 24, 19), 1) == zurich(
            2026, 11, 25, 17, 30
        )
        assert calendar.add_business_days(zurich(2026, 11, 28, 10), 1) == zurich(2026, 12, 1, 8)

    def test_equals_whole_days_of_business_time(self, calendar: WorkingCalendar) -> None:
        start = zurich(2026, 11, 24, 15)
        end = calendar.add_business_days(start, 10)
        assert calendar.business_seconds_between(start, end) == 10 * 8 * HOUR

    def test_many_days_jump_weeks(self, calendar: WorkingCalendar) -> None:
        assert calendar.add_business_days(zurich(2025, 12, 31, 17, 30), 258) == zurich(
            2026, 12, 31, 17, 30
        )

    def test_zero_and_negative(self, calendar: WorkingCalendar) -> None:
        at = datetime(2026, 11, 28, 9, tzinfo=UTC)
        assert calendar.add_business_days(at, 0) == at
        with pytest.raises(ValueError):
            calendar.add_business_days(at, -1)


class TestCalendarDays:
    def test_is_working_time(self, calendar: WorkingCalendar) -> None:
        assert calendar.is_working_time(zurich(2026, 11, 24, 8))
        assert calendar.is_working_time(zurich(2026, 11, 24, 11, 59))
        assert not calendar.is_working_time(zurich(2026, 11, 24, 12))
        assert not calendar.is_working_time(zurich(2026, 11, 24, 17, 30))
        assert not calendar.is_working_time(zurich(2026, 11, 28, 10))
        assert not calendar.is_working_time(zurich(2026, 5, 14, 10))

    def test_next_working_instant(self, calendar: WorkingCalendar) -> None:
        inside = zurich(2026, 11, 24, 10)
        assert calendar.next_working_instant(inside) == inside
        assert calendar.next_working_instant(zurich(2026, 11, 24, 12, 5)) == zurich(
            2026, 11, 24, 13, 30
        )
        assert calendar.next_working_instant(zurich(2026, 12, 24, 18)) == zurich(2026, 12, 28, 8)

    def test_federal_holidays_by_default(self, calendar: WorkingCalendar) -> None:
        assert calendar.closed_dates(2026) == {
            date(2026, 1, 1),
            date(2026, 5, 14),
            date(2026, 8, 1),
            date(2026, 12, 25),
        }

    def test_canton_and_closures(self) -> None:
        vaud = build_calendar(canton="VD", closures=[date(2026, 12, 24)])
        assert vaud.is_closed(date(2026, 4, 6))  # Easter Monday: Vaud, not federal
        assert not build_calendar().is_closed(date(2026, 4, 6))
        assert vaud.is_closed(date(2026, 12, 24))
        assert vaud.business_seconds_between(zurich(2026, 12, 24), zurich(2026, 12, 25)) == 0
        assert swiss_public_holidays(2026, "VD") >= swiss_public_holidays(2026)

    def test_seeded_default(self) -> None:
        seeded = seeded_default_calendar()
        assert seeded.time_zone == ZURICH
        assert seeded.weekly_business_seconds == 40 * HOUR
        assert seeded.canton is None

    def test_invalid_spans(self) -> None:
        with pytest.raises(ValueError):
            build_calendar(weekly_spans={0: [("12:00", "08:00")]})
        with pytest.raises(ValueError):
            build_calendar(weekly_spans={0: [("08:00", "12:00"), ("11:00", "13:00")]})
        with pytest.raises(ValueError):
            build_calendar(weekly_spans={7: [("08:00", "12:00")]})
        with pytest.raises(ValueError):
            build_calendar(canton="XX")


# --------------------------------------------------------------------------- the reference


def reference_is_working(
    instant: datetime,
    spans: dict[int, list[tuple[time, time]]],
    closed: frozenset[date],
) -> bool:
    """The definition, literally: wall-clock time in a span of its weekday, date not closed."""
    local = instant.astimezone(ZURICH)
    if local.date() in closed:
        return False
    wall = local.time()
    return any(start <= wall < end for start, end in spans.get(local.weekday(), []))


def reference_closed(first_year: int, last_year: int, extra: frozenset[date]) -> frozenset[date]:
    days = set(extra)
    for year in range(first_year, last_year + 1):
        days.update(holidays.Switzerland(years=year).keys())
    return frozenset(days)


def as_times(spans: dict[int, list[tuple[str, str]]]) -> dict[int, list[tuple[time, time]]]:
    return {
        weekday: [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in day]
        for weekday, day in spans.items()
    }


TABLE_START = datetime(2025, 12, 20, tzinfo=UTC)
TABLE_MINUTES = 400 * 24 * 60


@lru_cache(maxsize=1)
def default_minute_table() -> tuple[int, ...]:
    """Running count of working minutes of the default calendar, minute by minute.

    ``table[i]`` is the number of working minutes in ``[TABLE_START, TABLE_START + i min)``;
    built once (about a second) so that each hypothesis example is a subtraction.
    """
    spans = {wd: list(day) for wd, day in DEFAULT_WEEKLY_SPANS.items()}
    closed = reference_closed(2025, 2027, frozenset())
    counts = [0]
    minute = TABLE_START
    for _ in range(TABLE_MINUTES):
        counts.append(counts[-1] + reference_is_working(minute, spans, closed))
        minute += MINUTE
    return tuple(counts)


def minute_index(instant: datetime) -> int:
    return (instant - TABLE_START) // MINUTE


# Starts: anywhere in 2026, often just before a DST change, a holiday or the new year.
ANCHORS = [
    datetime(2026, 3, 27, tzinfo=UTC),
    datetime(2026, 10, 23, tzinfo=UTC),
    datetime(2026, 5, 12, tzinfo=UTC),
    datetime(2026, 7, 30, tzinfo=UTC),
    datetime(2026, 12, 23, tzinfo=UTC),
    datetime(2025, 12, 29, tzinfo=UTC),
]
starts = st.one_of(
    st.builds(
        lambda minutes: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes),
        st.integers(0, 365 * 24 * 60 - 1),
    ),
    st.builds(
        lambda anchor, minutes: anchor + timedelta(minutes=minutes),
        st.sampled_from(ANCHORS),
        st.integers(0, 5 * 24 * 60),
    ),
)
spans_in_minutes = st.integers(0, 21 * 24 * 60)
zones = st.sampled_from([UTC, ZURICH, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")])

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(start=starts, minutes=spans_in_minutes, zone=zones)
def test_between_matches_the_minute_by_minute_reference(
    start: datetime, minutes: int, zone: ZoneInfo
) -> None:
    table = default_minute_table()
    end = start + timedelta(minutes=minutes)
    expected = (table[minute_index(end)] - table[minute_index(start)]) * 60
    got = seeded_default_calendar().business_seconds_between(
        start.astimezone(zone), end.astimezone(zone)
    )
    assert got == expected


@PROPERTY
@given(start=starts, business_minutes=st.integers(1, 15 * 8 * 60), zone=zones)
def test_add_matches_the_minute_by_minute_reference(
    start: datetime, business_minutes: int, zone: ZoneInfo
) -> None:
    table = default_minute_table()
    # The n-th working minute after start is the first minute index whose running count
    # reaches count(start) + n; the result is the instant that minute ends.
    target = table[minute_index(start)] + business_minutes
    index = bisect_left(table, target)
    expected = TABLE_START + timedelta(minutes=index)
    got = seeded_default_calendar().add_business_seconds(
        start.astimezone(zone), business_minutes * 60
    )
    assert got.astimezone(UTC) == expected
    assert got.tzinfo == ZURICH


@PROPERTY
@given(
    start=starts,
    seconds=st.integers(1, 30 * 8 * HOUR),
    micros=st.integers(0, 999_999),
)
def test_add_then_between_is_the_identity(start: datetime, seconds: int, micros: int) -> None:
    calendar = seeded_default_calendar()
    start = start + timedelta(seconds=seconds % 60, microseconds=micros)
    assert calendar.business_seconds_between(
        start, calendar.add_business_seconds(start, seconds)
    ) == (seconds)


@PROPERTY
@given(start=starts, span=st.integers(0, 21 * 24 * HOUR))
def test_between_then_add_never_overshoots(start: datetime, span: int) -> None:
    calendar = seeded_default_calendar()
    end = start + timedelta(seconds=span)
    elapsed = calendar.business_seconds_between(start, end)
    back = calendar.add_business_seconds(start, elapsed)
    assert back <= end
    # When the second just before `end` is business time, no slack remains: exact inverse.
    if span >= 1 and calendar.is_working_time(end - timedelta(seconds=1)):
        assert back == end


# A random calendar: any spans on any weekday (often across the 02:00-03:00 DST hour), random
# closure days and cantons; checked against the same plain reference over a shorter window.
minutes_of_day = st.integers(0, 24 * 60 - 1)


@st.composite
def random_weeks(draw: st.DrawFn) -> dict[int, list[tuple[time, time]]]:
    week: dict[int, list[tuple[time, time]]] = {}
    for weekday in range(7):
        cuts = sorted(
            draw(
                st.sets(
                    st.one_of(minutes_of_day, st.integers(100, 200)),  # near 02:00-03:00
                    max_size=6,
                )
            )
        )
        if len(cuts) % 2:
            cuts = cuts[:-1]
        week[weekday] = [
            (time(a // 60, a % 60), time(b // 60, b % 60))
            for a, b in zip(cuts[::2], cuts[1::2], strict=True)
        ]
    return week


closure_days = st.sets(
    st.builds(lambda n: date(2026, 1, 1) + timedelta(days=n), st.integers(0, 364)), max_size=40
)
window_starts = st.one_of(
    starts,
    st.builds(
        lambda anchor, minutes: anchor + timedelta(minutes=minutes),
        st.sampled_from(
            [datetime(2026, 3, 28, 18, tzinfo=UTC), datetime(2026, 10, 24, 18, tzinfo=UTC)]
        ),
        st.integers(0, 24 * 60),
    ),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    week=random_weeks(),
    closures=closure_days,
    start=window_starts,
    minutes=st.integers(0, 5 * 24 * 60),
    seed=st.integers(0, 10**6),
)
def test_random_calendars_match_the_reference(
    week: dict[int, list[tuple[time, time]]],
    closures: frozenset[date],
    start: datetime,
    minutes: int,
    seed: int,
) -> None:
    calendar = build_calendar(weekly_spans=week, closures=closures)
    closed = reference_closed(2025, 2027, frozenset(closures))
    end = start + timedelta(minutes=minutes)
    working = 0
    minute = start
    while minute < end:
        working += reference_is_working(minute, week, closed)
        minute += MINUTE
    assert calendar.business_seconds_between(start, end) == working * 60

    weekly_minutes = sum(
        (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute) for day in week.values() for a, b in day
    )
    if not weekly_minutes:
        return
    # add: walk until the amount-th working minute. At most two weeks' worth of hours (and two
    # days' worth), so the walk stays short even for a calendar open one minute a week.
    amount = 1 + seed % min(2 * weekly_minutes, 2 * 24 * 60)
    minute, counted = start, 0
    while True:
        if reference_is_working(minute, week, closed):
            counted += 1
            if counted == amount:
                break
        minute += MINUTE
    got = calendar.add_business_seconds(start, amount * 60)
    assert got.astimezone(UTC) == minute + MINUTE  # in UTC: fold=1 instants (PEP 495)
