"""Business-time arithmetic: pure, exact and fast.

A :class:`WorkingCalendar` says when Customer Services works: wall-clock spans per weekday in a
time zone, minus Swiss public holidays (``holidays`` package, federal or one canton) and the
extra closure days an administrator enters. Its methods answer the two questions the SLO
clocks ask -- how much business time lies between two instants, and at which instant a number
of business seconds will have elapsed -- plus a few helpers built on the same machinery.

Definitions (the tests check them against a minute-by-minute reference):

* An instant is *working time* when its local wall-clock time, in the calendar's zone, lies in
  a half-open span ``[start, end)`` of its local weekday, and its local date is not closed.
  Business time is real elapsed time (``end - start`` in UTC) spent in working time. Across
  the daylight-saving changes this is exact: a span crossing the spring gap is an hour
  shorter, and on the autumn night a wall-clock time that happens twice counts twice.
* ``business_seconds_between(start, end)`` truncates to whole seconds and is ``0`` when
  ``end <= start`` (a reversed interval holds no business time; it is never negative).
* ``add_business_seconds(start, n)`` is the exact instant at which the n-th business second
  after ``start`` ends. A start outside working hours counts from the next opening
  (Friday 18:00 + 1 h is Monday 09:00); a result landing exactly on the end of a span is that
  end (Friday 16:00 + 1 h 30 is Friday 17:30, not Monday 08:00). ``n == 0`` returns ``start``
  unchanged (only converted to the calendar's zone), even outside working hours.
* Datetimes must be aware; any zone is accepted, results are in the calendar's zone.
  Sub-second precision (microseconds) is kept internally. A result inside the repeated
  autumn hour carries ``fold=1``; by PEP 495 such a datetime never compares equal to one in
  another zone, so compare results in UTC (Django stores them in UTC anyway).

Speed: no stepping through minutes or days. Each local day is resolved once (cached) into its
real working intervals in UTC microseconds. Whole runs of days are summed from a per-weekday
prefix table (whole weeks at once) plus a table of *exceptions* -- closed days and days on
which the UTC offset changes -- whose corrections are kept as running sums, so a sum over any
range of days costs two bisections (plus, the first time a year is reached, building that
year's exceptions once). Adding time jumps whole weeks the same way, then walks at most about
a week of cached days. A few-days interval costs a handful of dictionary look-ups.

This module has no ORM and never reads the clock. :func:`default_calendar` is the one entry
point that consults the database, and it does so through a lazy import of ``slo.selectors``
so that everything else here can be used (and tested) without Django.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "DEFAULT_TIME_ZONE",
    "DEFAULT_WEEKLY_SPANS",
    "Span",
    "WorkingCalendar",
    "build_calendar",
    "calendar_cache_clear",
    "default_calendar",
    "default_calendar_at_revision",
    "seeded_default_calendar",
    "swiss_public_holidays",
]

Span = tuple[time, time]
"""A working span: wall-clock ``(start, end)``, half-open, within one local day."""

DEFAULT_TIME_ZONE = "Europe/Zurich"
_MORNING: Span = (time(8, 0), time(12, 0))
_AFTERNOON: Span = (time(13, 30), time(17, 30))
DEFAULT_WEEKLY_SPANS: Mapping[int, tuple[Span, ...]] = {
    weekday: (_MORNING, _AFTERNOON) for weekday in range(5)
}
"""The seeded opening hours: Monday (0) to Friday (4), 08:00-12:00 and 13:30-17:30."""

_US = 1_000_000  # all internal arithmetic is in integer microseconds: exact, no float drift
_DAY_US = 86_400 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_ONE_US = timedelta(microseconds=1)
_NEVER = -(1 << 62)  # sentinels for open-ended overlaps, far beyond any real instant
_FOREVER = 1 << 62
_DAY_CACHE_LIMIT = 50_000  # ~140 years of days; a bound so a long-lived worker cannot grow

# A resolved local day: (real working intervals in UTC µs, their total, day start, day end).
_DayInfo = tuple[tuple[tuple[int, int], ...], int, int, int]
# The exception table: (first ordinal, stop ordinal, first year, last year, exception ordinals,
# running sum of µs corrections, running sum of working-day corrections).
_Exceptions = tuple[int, int, int, int, tuple[int, ...], tuple[int, ...], tuple[int, ...]]


@lru_cache(maxsize=512)
def swiss_public_holidays(year: int, canton: str | None = None) -> frozenset[date]:
    """Swiss public holidays of ``year``: federal (4 days) without a canton, else the canton's.

    Cached per (year, canton): building a ``holidays`` year costs far more than a look-up.
    """
    return frozenset(holidays.Switzerland(subdiv=canton or None, years=year))


@lru_cache(maxsize=512)
def _offset_change_days(tz: ZoneInfo, year: int) -> tuple[int, ...]:
    """Ordinals of the local days of ``year`` during which ``tz`` changes its UTC offset.

    Compares the offset at consecutive local midnights (366 cheap C calls, once per zone and
    year). Such days are the only ones whose real working time can differ from the wall-clock
    plan, so they join the closed days in the per-year exception table.
    """
    first = date(year, 1, 1).toordinal()
    last = date(year + 1, 1, 1).toordinal()
    changed: set[int] = set()
    previous = tz.utcoffset(datetime.fromordinal(first))
    for ordinal in range(first + 1, last + 1):
        current = tz.utcoffset(datetime.fromordinal(ordinal))
        if current != previous:
            # The change happened during day ordinal-1; the next day is added too, harmlessly
            # (its correction is computed exactly and dropped when zero), as a guard for zones
            # that change at midnight.
            changed.update((ordinal - 1, ordinal))
        previous = current
    return tuple(sorted(o for o in changed if first <= o < last))


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _US + value.microsecond


def _overlap(intervals: tuple[tuple[int, int], ...], low: int, high: int) -> int:
    """Microseconds of ``intervals`` that fall inside ``[low, high)``."""
    total = 0
    for start, end in intervals:
        if start < low:
            start = low
        if end > high:
            end = high
        if start < end:
            total += end - start
    return total


@dataclass(frozen=True, eq=False, slots=True)
class WorkingCalendar:
    """An immutable business calendar with exact business-time arithmetic.

    Build it with :func:`build_calendar` (explicit parameters, no database) or get the
    configured one from :func:`default_calendar`. Instances cache resolved days and years
    internally; they are safe to share between threads (a cache entry is only ever replaced
    by an equal one, and the exception table is swapped in as one immutable tuple).
    """

    time_zone: ZoneInfo
    weekly_spans: tuple[tuple[Span, ...], ...]
    """Seven entries, Monday (0) to Sunday (6), each a tuple of wall-clock spans."""
    canton: str | None = None
    """Canton code for cantonal holidays ("VD", "ZH", ...); ``None`` for the federal days."""
    closures: frozenset[date] = frozenset()
    """Extra closed dates entered by an administrator, on top of the public holidays."""
    public_holidays: bool = True

    _wall_us: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False)
    _weekday_us: tuple[int, ...] = field(init=False, repr=False)
    _weekday_days: tuple[int, ...] = field(init=False, repr=False)
    _prefix_us: tuple[int, ...] = field(init=False, repr=False)
    _prefix_days: tuple[int, ...] = field(init=False, repr=False)
    _week_us: int = field(init=False, repr=False)
    _week_days: int = field(init=False, repr=False)
    _guess_offset_us: int = field(init=False, repr=False)
    _closures_by_year: dict[int, frozenset[date]] = field(init=False, repr=False)
    _closed_cache: dict[int, frozenset[date]] = field(init=False, repr=False)
    _day_cache: dict[int, _DayInfo] = field(init=False, repr=False)
    _year_cache: dict[int, tuple[tuple[int, int, int], ...]] = field(init=False, repr=False)
    _exceptions: list[_Exceptions] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.time_zone, ZoneInfo):
            raise TypeError("time_zone must be a zoneinfo.ZoneInfo")
        if self.canton is not None and self.canton not in holidays.Switzerland.subdivisions:
            raise ValueError(f"unknown canton code {self.canton!r} (e.g. 'VD', 'ZH')")
        if len(self.weekly_spans) != 7:
            raise ValueError("weekly_spans needs exactly seven entries, Monday to Sunday")
        wall: list[tuple[tuple[int, int], ...]] = []
        for weekday, spans in enumerate(self.weekly_spans):
            for start, end in spans:
                if start.tzinfo is not None or end.tzinfo is not None:
                    raise ValueError("working spans are local wall-clock times, without tzinfo")
            resolved = sorted((_time_us(start), _time_us(end)) for start, end in spans)
            for index, (start_us, end_us) in enumerate(resolved):
                if start_us >= end_us:
                    raise ValueError(f"weekday {weekday}: a span must start before it ends")
                if index and resolved[index - 1][1] > start_us:
                    raise ValueError(f"weekday {weekday}: working spans overlap")
            wall.append(tuple(resolved))
        weekday_us = tuple(sum(end - start for start, end in spans) for spans in wall)
        weekday_days = tuple(1 if total else 0 for total in weekday_us)
        # Prefix sums over two consecutive weeks: the sum over any run of r < 7 days starting
        # on weekday w is prefix[w + r] - prefix[w], with no modulo in the hot path.
        prefix_us, prefix_days = [0], [0]
        for index in range(14):
            prefix_us.append(prefix_us[-1] + weekday_us[index % 7])
            prefix_days.append(prefix_days[-1] + weekday_days[index % 7])
        by_year: dict[int, set[date]] = {}
        for closed in self.closures:
            by_year.setdefault(closed.year, set()).add(closed)
        january = datetime(2000, 1, 15, tzinfo=self.time_zone).utcoffset() or timedelta()
        assign = object.__setattr__  # frozen dataclass: derived fields are set once, here
        assign(self, "_wall_us", tuple(wall))
        assign(self, "_weekday_us", weekday_us)
        assign(self, "_weekday_days", weekday_days)
        assign(self, "_prefix_us", tuple(prefix_us))
        assign(self, "_prefix_days", tuple(prefix_days))
        assign(self, "_week_us", sum(weekday_us))
        assign(self, "_week_days", sum(weekday_days))
        assign(self, "_guess_offset_us", january // _ONE_US)
        assign(self, "_closures_by_year", {y: frozenset(d) for y, d in by_year.items()})
        assign(self, "_closed_cache", {})
        assign(self, "_day_cache", {})
        assign(self, "_year_cache", {})
        assign(self, "_exceptions", [(0, 0, 0, 0, (), (0,), (0,))])

    # ------------------------------------------------------------------ public API

    def business_seconds_between(self, start: datetime, end: datetime) -> int:
        """Whole business seconds in ``[start, end)``; ``0`` when ``end <= start``."""
        start_us, start_day, start_info = self._locate(start)
        end_us, end_day, end_info = self._locate(end)
        if end_us <= start_us:
            return 0
        if start_day == end_day:
            return _overlap(start_info[0], start_us, end_us) // _US
        total = (
            _overlap(start_info[0], start_us, _FOREVER)
            + self._sum_days(start_day + 1, end_day, counting_days=False)
            + _overlap(end_info[0], _NEVER, end_us)
        )
        return total // _US

    def add_business_seconds(self, start: datetime, seconds: int | float) -> datetime:
        """The instant at which the ``seconds``-th business second after ``start`` ends.

        ``seconds == 0`` returns ``start`` in the calendar's zone. Raises ``ValueError`` for a
        negative amount or a calendar without any working hours.
        """
        if seconds < 0:
            raise ValueError("cannot add a negative amount of business time")
        remaining = seconds * _US if isinstance(seconds, int) else round(seconds * _US)
        start_us, day, info = self._locate(start)
        if remaining == 0:
            return start.astimezone(self.time_zone)
        if not self._week_us:
            raise ValueError("this calendar has no working hours")
        for low, high in info[0]:
            if high <= start_us:
                continue
            if low < start_us:
                low = start_us
            if remaining <= high - low:
                return self._instant(low + remaining)
            remaining -= high - low
        day += 1
        day, remaining = self._skip_weeks(day, remaining, counting_days=False)
        while True:
            info = self._day(day)
            if remaining <= info[1]:
                return self._instant(_position(info[0], remaining))
            remaining -= info[1]
            day += 1

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The instant ``days`` full business days after ``start``.

        Keeps the business-time offset of ``start`` within its working day and places it on
        the ``days``-th next working day (Tuesday 15:00 + 10 days is Tuesday two weeks later,
        15:00, when no holiday intervenes). A start before opening keeps offset 0 (the target
        day's opening), after closing the whole day (the target day's closing). A start on a
        closed day counts from the next working day's opening, so Saturday + 1 day is Tuesday
        08:00: one full business day (Monday) has then elapsed. When the target day is shorter
        than the offset, the result is its closing. ``days == 0`` returns ``start``.
        """
        if days < 0:
            raise ValueError("cannot add a negative number of business days")
        start_us, day, info = self._locate(start)
        if days == 0:
            return start.astimezone(self.time_zone)
        if not self._week_days:
            raise ValueError("this calendar has no working hours")
        if info[1]:
            offset = _overlap(info[0], _NEVER, start_us)
        else:
            offset = 0
            day = self._next_working_day(day + 1)
        day, remaining = self._skip_weeks(day + 1, days, counting_days=True)
        while True:
            info = self._day(day)
            if info[1]:
                remaining -= 1
                if not remaining:
                    return self._instant(_position(info[0], min(offset, info[1])))
            day += 1

    def is_working_time(self, at: datetime) -> bool:
        """Whether ``at`` lies in working time (span starts included, ends excluded)."""
        at_us, _ordinal, info = self._locate(at)
        return any(low <= at_us < high for low, high in info[0])

    def next_working_instant(self, at: datetime) -> datetime:
        """``at`` itself when it is working time, else the next opening (calendar's zone)."""
        if not self._week_us:
            raise ValueError("this calendar has no working hours")
        at_us, day, info = self._locate(at)
        for low, high in info[0]:
            if at_us < high:
                return at.astimezone(self.time_zone) if low <= at_us else self._instant(low)
        day = self._next_working_day(day + 1)
        return self._instant(self._day(day)[0][0][0])

    def is_closed(self, day: date) -> bool:
        """Whether ``day`` is a public holiday or an administrator's closure day."""
        return day in self.closed_dates(day.year)

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (a date of the calendar's zone) has working hours: a weekday with
        spans that is neither a public holiday nor a closure day."""
        return bool(self.weekly_spans[day.weekday()]) and not self.is_closed(day)

    def closed_dates(self, year: int) -> frozenset[date]:
        """Public holidays (if enabled) and closure days of ``year``, cached per year."""
        closed = self._closed_cache.get(year)
        if closed is None:
            public = (
                swiss_public_holidays(year, self.canton) if self.public_holidays else frozenset()
            )
            closed = public | self._closures_by_year.get(year, frozenset())
            self._closed_cache[year] = closed
        return closed

    @property
    def weekly_business_seconds(self) -> int:
        """Nominal business seconds in a week without holidays (e.g. 144,000 = 40 h)."""
        return self._week_us // _US

    # ------------------------------------------------------------------ internals

    def _locate(self, at: datetime) -> tuple[int, int, _DayInfo]:
        """UTC µs since the epoch, local day ordinal and that day's info, for an instant.

        Avoids ``astimezone`` (the costliest step): guess the local day with a fixed offset,
        then correct it against the cached bounds of the guessed day (one step at most, in
        the hour around midnight when daylight-saving time is on).
        """
        if at.tzinfo is None:
            raise ValueError("business-time arithmetic needs aware datetimes")
        micros = (at - _EPOCH) // _ONE_US
        day = (micros + self._guess_offset_us) // _DAY_US + _EPOCH_ORDINAL
        info = self._day_cache.get(day) or self._day(day)
        while micros < info[2]:
            day -= 1
            info = self._day(day)
        while micros >= info[3]:
            day += 1
            info = self._day(day)
        return micros, day, info

    def _instant(self, micros: int) -> datetime:
        seconds, fraction = divmod(micros, _US)
        result = datetime.fromtimestamp(seconds, self.time_zone)
        return result.replace(microsecond=fraction) if fraction else result

    def _skip_weeks(self, day: int, remaining: int, *, counting_days: bool) -> tuple[int, int]:
        """Jump over whole weeks of business time (or working days) still to consume.

        Returns the day to continue from and what remains, always leaving the target strictly
        ahead (``remaining`` stays positive) so the caller's day loop, at most about a week
        plus exceptions long, finds the exact day. A jump is the nominal number of whole weeks;
        exceptions inside it (holidays) only make it consume less, and the rare jump that would
        consume too much (a DST-lengthened night shift) is shortened by a week.
        """
        week = self._week_days if counting_days else self._week_us
        while remaining > week:
            jump = 7 * (remaining // week)
            consumed = self._sum_days(day, day + jump, counting_days=counting_days)
            if consumed >= remaining:
                jump -= 7
                consumed = self._sum_days(day, day + jump, counting_days=counting_days)
                if not jump or consumed >= remaining:
                    break
            remaining -= consumed
            day += jump
        return day, remaining

    def _next_working_day(self, day: int) -> int:
        while not self._day(day)[1]:
            day += 1
        return day

    def _day(self, ordinal: int) -> _DayInfo:
        """(real working intervals in UTC µs, their total, day start, day end), cached."""
        info = self._day_cache.get(ordinal)
        if info is None:
            info = self._resolve_day(ordinal)
            if len(self._day_cache) >= _DAY_CACHE_LIMIT:
                self._day_cache.clear()
            self._day_cache[ordinal] = info
        return info

    def _resolve_day(self, ordinal: int) -> _DayInfo:
        """Map a day's wall-clock spans to real UTC intervals, exactly, DST days included.

        The local day is split into segments of constant UTC offset (one segment, or two on
        a day the offset changes). Within a segment wall time = real time + offset, so each
        span intersected with each segment's wall-time range gives a real interval. This is
        exactly "the instants whose local wall time lies in the span": the spring gap's
        non-existent hour drops out, the autumn hour that happens twice counts twice.
        """
        day_start = self._first_instant(ordinal)
        day_end = self._first_instant(ordinal + 1)
        wall = self._wall_us[(ordinal - 1) % 7]  # date.fromordinal(1) is a Monday
        if not wall or self.is_closed(date.fromordinal(ordinal)):
            return (), 0, day_start, day_end
        offset_start = self._offset_at(day_start)
        offset_end = self._offset_at(day_end - 1)
        segments: tuple[tuple[int, int, int], ...]
        if offset_start == offset_end:
            segments = ((day_start, day_end, offset_start),)
        else:
            change = self._offset_change(day_start, day_end - 1, offset_end)
            segments = ((day_start, change, offset_start), (change, day_end, offset_end))
        base = (ordinal - _EPOCH_ORDINAL) * _DAY_US  # local midnight on the wall-time axis
        pieces: list[tuple[int, int]] = []
        for span_start, span_end in wall:
            for low, high, offset in segments:
                real_start = max(base + span_start, low + offset) - offset
                real_end = min(base + span_end, high + offset) - offset
                if real_start < real_end:
                    pieces.append((real_start, real_end))
        pieces.sort()
        merged: list[tuple[int, int]] = []
        for low, high in pieces:
            if merged and merged[-1][1] >= low:  # adjacent across a DST change: one interval
                merged[-1] = (merged[-1][0], max(merged[-1][1], high))
            else:
                merged.append((low, high))
        return tuple(merged), sum(high - low for low, high in merged), day_start, day_end

    def _first_instant(self, ordinal: int) -> int:
        """UTC µs of the first instant of a local day (fold=0 picks the first midnight)."""
        midnight = datetime.fromordinal(ordinal).replace(tzinfo=self.time_zone)
        return (midnight - _EPOCH) // _ONE_US

    def _offset_at(self, micros: int) -> int:
        local = (_EPOCH + timedelta(microseconds=micros)).astimezone(self.time_zone)
        return local.utcoffset() // _ONE_US  # type: ignore[operator]

    def _offset_change(self, low: int, high: int, offset_after: int) -> int:
        """First instant in ``(low, high]`` whose offset is ``offset_after`` (bisection).

        Runs only when a DST day is first resolved (twice a year, then cached): ~37 steps.
        """
        while high - low > 1:
            middle = (low + high) // 2
            if self._offset_at(middle) == offset_after:
                high = middle
            else:
                low = middle
        return high

    def _year_exceptions(self, year: int) -> tuple[tuple[int, int, int], ...]:
        """(ordinal, µs correction, working-day correction) of each exception day of a year.

        Exception days are closed days and DST days; the correction is what the real day
        differs from its weekday's plan. Days whose correction is zero (a holiday on a
        Sunday, a DST change at night) are left out.
        """
        rows = self._year_cache.get(year)
        if rows is None:
            candidates = {closed.toordinal() for closed in self.closed_dates(year)}
            candidates.update(_offset_change_days(self.time_zone, year))
            found = []
            for ordinal in sorted(candidates):
                weekday = (ordinal - 1) % 7
                total = self._day(ordinal)[1]
                delta_us = total - self._weekday_us[weekday]
                delta_days = (1 if total else 0) - self._weekday_days[weekday]
                if delta_us or delta_days:
                    found.append((ordinal, delta_us, delta_days))
            rows = tuple(found)
            self._year_cache[year] = rows
        return rows

    def _load_exceptions(self, first: int, stop: int) -> _Exceptions:
        """Widen the exception table to cover the whole years of days ``[first, stop)``.

        The table covers one contiguous run of years, so the hot path is two comparisons and
        two bisections; it is rebuilt (rarely: when a computation reaches a new year).
        """
        current = self._exceptions[0]
        first_year = date.fromordinal(first).year
        last_year = date.fromordinal(stop - 1).year
        if current[1]:  # something is loaded: keep it, the run of years stays contiguous
            first_year = min(first_year, current[2])
            last_year = max(last_year, current[3])
        ordinals: list[int] = []
        sum_us, sum_days = [0], [0]
        for year in range(first_year, last_year + 1):
            for ordinal, delta_us, delta_days in self._year_exceptions(year):
                ordinals.append(ordinal)
                sum_us.append(sum_us[-1] + delta_us)
                sum_days.append(sum_days[-1] + delta_days)
        table = (
            date(first_year, 1, 1).toordinal(),
            date(last_year + 1, 1, 1).toordinal() if last_year < 9999 else date.max.toordinal(),
            first_year,
            last_year,
            tuple(ordinals),
            tuple(sum_us),
            tuple(sum_days),
        )
        self._exceptions[0] = table
        return table

    def _sum_days(self, first: int, stop: int, *, counting_days: bool) -> int:
        """Business µs (or working days) of the whole local days ``[first, stop)``.

        The plan comes from the weekly prefix table (whole weeks at once); the exceptions
        (closed days, DST days) from the running sums of the exception table, by bisection.
        """
        count = stop - first
        if count <= 0:
            return 0
        table = self._exceptions[0]
        if first < table[0] or stop > table[1]:
            table = self._load_exceptions(first, stop)
        weekday = (first - 1) % 7
        weeks, rest = divmod(count, 7)
        ordinals = table[4]
        if counting_days:
            prefix, sums = self._prefix_days, table[6]
            total = weeks * self._week_days + prefix[weekday + rest] - prefix[weekday]
        else:
            prefix, sums = self._prefix_us, table[5]
            total = weeks * self._week_us + prefix[weekday + rest] - prefix[weekday]
        if ordinals:
            total += sums[bisect_left(ordinals, stop)] - sums[bisect_left(ordinals, first)]
        return total


def _position(intervals: tuple[tuple[int, int], ...], offset: int) -> int:
    """The instant at which ``offset`` µs of ``intervals`` (offset <= their total) ended."""
    for low, high in intervals:
        if offset <= high - low:
            return low + offset
        offset -= high - low
    raise AssertionError("offset beyond the day's working time")  # pragma: no cover


def _as_time(value: time | str) -> time:
    return value if isinstance(value, time) else time.fromisoformat(value)


def build_calendar(
    *,
    time_zone: str | ZoneInfo = DEFAULT_TIME_ZONE,
    weekly_spans: Mapping[int, Iterable[tuple[time | str, time | str]]] | None = None,
    canton: str | None = None,
    closures: Iterable[date] = (),
    public_holidays: bool = True,
) -> WorkingCalendar:
    """A calendar from explicit parameters: no database, for tests and tools.

    ``weekly_spans`` maps weekday numbers (0 = Monday) to wall-clock spans, given as ``time``
    objects or ``"HH:MM"`` strings; weekdays left out are closed. Defaults are the seeded
    configuration: Monday-Friday 08:00-12:00 and 13:30-17:30, Europe/Zurich, federal holidays.
    """
    spans = DEFAULT_WEEKLY_SPANS if weekly_spans is None else weekly_spans
    for weekday in spans:
        if not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}")
    week = tuple(
        tuple((_as_time(start), _as_time(end)) for start, end in spans.get(weekday, ()))
        for weekday in range(7)
    )
    zone = time_zone if isinstance(time_zone, ZoneInfo) else ZoneInfo(time_zone)
    return WorkingCalendar(
        time_zone=zone,
        weekly_spans=week,
        canton=canton or None,
        closures=frozenset(closures),
        public_holidays=public_holidays,
    )


@lru_cache(maxsize=1)
def seeded_default_calendar() -> WorkingCalendar:
    """The calendar the seed migration defines, built without the database."""
    return build_calendar()


# The default calendar is cached per process, keyed by the configuration's revision (a UUID
# that every change of the calendar, its periods or closure days renews). Each call costs one
# tiny indexed query to read the revision: that is what makes an edit made in another process
# (the admin in a web worker, the sweep in Celery) visible at once, and what keeps tests honest
# when a transaction rollback silently restores an older configuration. Building (on a miss)
# costs three more queries. Call it once per request or batch, not once per row.
_default_cache: dict[str, tuple[uuid.UUID | None, WorkingCalendar]] = {}


def default_calendar() -> WorkingCalendar:
    """The calendar of the default ``BusinessCalendar`` row (cached, see above).

    Without such a row it is the seeded default (:func:`seeded_default_calendar`). It reads the
    database, so pure unit tests should call :func:`build_calendar` instead.
    """
    from slo import selectors  # lazy: this module stays importable without Django

    return default_calendar_at_revision(selectors.business_calendar_default_revision())


def default_calendar_at_revision(revision: uuid.UUID | None) -> WorkingCalendar:
    """The default calendar for a revision the caller has already read, typically as a
    subquery of its own query (``slo.display`` does so to stay at one query): no query at all
    while the cached calendar is current, three to rebuild it when it is not."""
    from slo import selectors  # lazy: this module stays importable without Django

    cached = _default_cache.get("default")
    if cached is not None and cached[0] == revision:
        return cached[1]
    # The revision stored with the calendar is the one read with the row it was built from; a
    # change racing with the build renews it, so the next call rebuilds.
    loaded = selectors.working_calendar_default() if revision is not None else None
    entry = loaded if loaded is not None else (None, seeded_default_calendar())
    _default_cache["default"] = entry
    return entry[1]


def calendar_cache_clear() -> None:
    """Forget the cached default calendar (called on every configuration change)."""
    _default_cache.clear()
