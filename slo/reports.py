"""The SLO report: compliance per month, priority and organisation for each clock, the median
business time, and the chart's geometry.

Two sources, the same figures. A reader who sees every request (the back office) reads the
roll-ups ``slo.rollups`` keeps: a few hundred rows whatever the number of clocks, the dirty
months of the period refreshed first so that the page is exact right after a change. A reader
restricted to some requests (their set is small) gets the live computation
(:func:`slo_report_live`): aggregate queries over the clocks, never rows loaded into Python, a
fixed number of queries whatever the number of clocks (one per dimension on PostgreSQL, two on
SQLite).

A clock counts in the month it **stopped** (when its verdict was given: met or breached);
running and paused clocks have no verdict yet and are left out. The median is the median of
the business time each stopped clock consumed (for Résolution: the time to resolution, pauses
excluded). Live, PostgreSQL computes it in the grouping query (``percentile_cont(0.5)``);
SQLite, which has no such aggregate, with window functions (row number and count per group)
in a second query that returns only the one or two middle rows of each group. Both give the
middle value, or the mean of the two middle values. The roll-ups give the same exact to the
minute (the middle minute, or the mean of the two middle minutes: see ``slo.rollups``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import formats
from django.utils.translation import gettext as _

from slo import engine
from slo.display import clock_label, duration_text
from slo.models import SloClock

PERIOD_CHOICES = (1, 3, 6, 12, 24)
DEFAULT_MONTHS = 6

MONTH = "month"


@dataclass(frozen=True)
class Breakdown:
    """A grouping of the report besides the month, handed in by the caller (the request app
    knows how its requests are grouped; ``slo`` names none of their fields): the group's key
    and label as expressions over the clocks, and the groups' order.

    ``group_names``, optional: given group keys, their current ``(key, label)`` in the report's
    order (one query). The roll-ups store the label and order of their last refresh; this
    gives the report today's names and order (a renamed organisation, a re-ranked priority)."""

    name: str
    title: str
    group: Any
    label: Any
    ordering: list[Any]
    group_names: Callable[[Collection[str]], list[tuple[str, str]]] | None = None


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class ReportRow:
    key: str  # "2026-03", a priority or organisation name
    label: str
    kind: str
    met: int = 0
    breached: int = 0
    median_seconds: int | None = None

    @property
    def kind_label(self) -> str:
        return clock_label(self.kind)

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def share(self) -> float | None:
        return self.met / self.total if self.total else None

    @property
    def share_percent(self) -> int | None:
        return None if self.share is None else round(self.share * 100)

    @property
    def share_text(self) -> str:
        if self.share is None:
            return "—"
        return f"{formats.number_format(round(self.share * 100, 1), 1)} %"

    @property
    def median_text(self) -> str:
        return "—" if self.median_seconds is None else duration_text(self.median_seconds)


@dataclass(frozen=True)
class Tally:
    """The figures of one row of the report as a roll-up holds them."""

    met: int
    breached: int
    median_seconds: int | None
    label: str = ""
    ordering: tuple = ()


@dataclass(frozen=True)
class SloReport:
    start: datetime
    end: datetime
    months: list[date]
    kinds: list[str]
    by_month: list[ReportRow] = field(default_factory=list)
    # (breakdown name, title, rows), in the order the caller gave the breakdowns.
    breakdowns: list[tuple[str, str, list[ReportRow]]] = field(default_factory=list)
    # Read from the roll-ups: as their last refresh left them, and whether changes made
    # since then to months of the period wait for the next one. Not compared: two reports
    # are equal when their figures are, however they were read.
    from_rollups: bool = field(default=False, compare=False)
    as_of: datetime | None = field(default=None, compare=False)
    pending: bool = field(default=False, compare=False)

    @property
    def sections(self) -> list[tuple[str, str, list[ReportRow]]]:
        return [(MONTH, _("Par mois"), self.by_month), *self.breakdowns]

    def rows_of(self, name: str) -> list[ReportRow]:
        return next((rows for key, _title, rows in self.sections if key == name), [])

    @property
    def is_empty(self) -> bool:
        return not any(row.total for row in self.by_month)


def report_period(*, months: int, at: datetime) -> tuple[datetime, datetime, list[date]]:
    """The last ``months`` calendar months up to the one containing ``at`` (local time):
    [first instant, end) and the first day of each month."""
    local = at.astimezone(_zone())
    year, month = local.year, local.month
    firsts = []
    for _index in range(months):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    following = (
        date(local.year + 1, 1, 1) if local.month == 12 else date(local.year, local.month + 1, 1)
    )
    start = datetime(firsts[0].year, firsts[0].month, 1, tzinfo=_zone())
    end = datetime(following.year, following.month, 1, tzinfo=_zone())
    return start, end, firsts


def _month_key(value: datetime | date) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(_zone()) if value.tzinfo else value
    return f"{value.year:04d}-{value.month:02d}"


def _month_label(first: date) -> str:
    return formats.date_format(first, "F Y")


def _month_of(firsts: list[date]) -> Case:
    """The local month of ``stopped_at`` as "YYYY-MM", by comparison with the months'
    boundaries (computed here in the calendar's zone): plain SQL, the same on SQLite and
    PostgreSQL, and much cheaper than a time-zone-aware truncation per row."""
    zone = _zone()
    bounds = [datetime(first.year, first.month, 1, tzinfo=zone) for first in firsts]
    return Case(
        *[When(stopped_at__gte=bound, then=Value(_month_key(first)))
          for bound, first in sorted(zip(bounds, firsts, strict=True), reverse=True)],
        default=Value(""),
        output_field=CharField(),
    )




def _medians(clocks: QuerySet, group: Any) -> dict[tuple, int]:
    """{(group, kind): median consumed seconds}: the middle row(s) of each group, by window."""
    partition = [F("group"), F("kind")]
    middle = (
        clocks.annotate(group=group)
        .annotate(
            position=Window(RowNumber(), partition_by=partition,
                            order_by=[F("consumed_seconds").asc(), F("pk").asc()]),
            size=Window(Count("pk"), partition_by=partition),
        )
        # Odd size n: row (n+1)/2; even: rows n/2 and n/2+1 (integer division in both DBs).
        .filter(position__gte=(F("size") + 1) / 2, position__lte=(F("size") + 2) / 2)
        .values_list("group", "kind", "consumed_seconds")
    )
    found: dict[tuple, list[int]] = {}
    for key, kind, seconds in middle:
        found.setdefault((key, kind), []).append(seconds)
    return {key: round(sum(values) / len(values)) for key, values in found.items()}


class Median(Aggregate):
    """PostgreSQL's ordered-set aggregate: the median in the grouping query itself (the
    middle value, or the mean of the two middle values, as the window version computes)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _rows(clocks: QuerySet, name: str, group: Any, label: Any, ordering: list[Any]
          ) -> list[ReportRow]:
    annotations = {"group": group} if label is None else {"group": group, "group_label": label}
    aggregates: dict[str, Aggregate] = {
        "met": Count("pk", filter=Q(state=engine.MET)),
        "breached": Count("pk", filter=Q(state=engine.BREACHED)),
    }
    # PostgreSQL computes the median with the counts (one query per dimension); SQLite has no
    # ordered-set aggregate, so there the middle rows come from a second, windowed query.
    in_one = connections[clocks.db].vendor == "postgresql"
    if in_one:
        aggregates["median"] = Median("consumed_seconds")
    counted = (
        clocks.annotate(**annotations)
        .values(*annotations, "kind")
        .annotate(**aggregates)
        .order_by(*ordering, "kind")
    )
    medians = {} if in_one else _medians(clocks, group)
    rows = []
    for item in counted:
        key = item["group"]
        rows.append(ReportRow(
            key=str(key),
            label=(
                _month_label(date(int(key[:4]), int(key[5:]), 1)) if name == MONTH
                else str(item["group_label"])
            ),
            kind=item["kind"],
            met=item["met"],
            breached=item["breached"],
            median_seconds=(
                round(item["median"]) if in_one and item["median"] is not None
                else medians.get((key, item["kind"]))
            ),
        ))
    return rows


def _month_rows(firsts: list[date], kinds: list[str], found: list[ReportRow]) -> list[ReportRow]:
    """Every month of the period, empty ones included, so the chart has no holes."""
    by_month = {(row.key, row.kind): row for row in found}
    return [
        by_month.get((_month_key(first), kind))
        or ReportRow(key=_month_key(first), label=_month_label(first), kind=kind)
        for first in firsts
        for kind in kinds
    ]


def slo_report(
    *, at: datetime, months: int = DEFAULT_MONTHS, kinds: list[str] | None = None,
    requests: QuerySet | None = None, breakdowns: Sequence[Breakdown] = (),
) -> SloReport:
    """The report over the last ``months`` months, by month and by each of ``breakdowns``;
    ``requests`` (the reader's visible requests, from the access rule) restricts it.

    Unrestricted (``None`` or an unfiltered queryset: the back office sees every request), it
    is read from the roll-ups as beat last refreshed them (``as_of``): a fixed number of small
    queries. Restricted, it is computed live over the reader's clocks."""
    if requests is not None and requests.query.has_filters():
        return slo_report_live(at=at, months=months, kinds=kinds, requests=requests,
                               breakdowns=breakdowns)
    # Imported here: slo.rollups builds on this module (Breakdown, Tally, the periods).
    from slo import rollups

    if not rollups.rollups_cover([b.name for b in breakdowns]):
        return slo_report_live(at=at, months=months, kinds=kinds, breakdowns=breakdowns)
    kinds = list(kinds or engine.CLOCK_KINDS)
    start, end, firsts = report_period(months=months, at=at)
    figures = rollups.rollups_figures(firsts=firsts, kinds=kinds,
                                      names=[b.name for b in breakdowns])
    found = [
        ReportRow(key=_month_key(first), label=_month_label(first), kind=kind, met=tally.met,
                  breached=tally.breached, median_seconds=tally.median_seconds)
        for (first, kind), tally in figures.months.items()
    ]
    return SloReport(
        start=start,
        end=end,
        months=firsts,
        kinds=kinds,
        by_month=_month_rows(firsts, kinds, found),
        breakdowns=[
            (b.name, b.title, _rollup_rows(b, figures.groups.get(b.name, {})))
            for b in breakdowns
        ],
        as_of=figures.refreshed_at,
        pending=figures.pending,
        from_rollups=True,
    )


def _rollup_rows(breakdown: Breakdown, tallies: dict[tuple[str, str], Tally]) -> list[ReportRow]:
    """One breakdown's rows from its roll-up tallies, ordered as the live query orders them:
    by the groups' order, then by clock kind."""
    kinds_of: dict[str, list[str]] = {}
    for key, kind in sorted(tallies, key=lambda pair: pair[1]):
        kinds_of.setdefault(key, []).append(kind)

    def first(key: str) -> Tally:
        return tallies[(key, kinds_of[key][0])]

    ordered = []
    if breakdown.group_names is not None:
        ordered = [(key, label) for key, label in breakdown.group_names(list(kinds_of))
                   if key in kinds_of]
    # Without the hook, or for a group it no longer knows (a row deleted since the refresh):
    # the order and label of the last refresh, NULLs last.
    known = {key for key, _label in ordered}
    ordered += [
        (key, first(key).label)
        for key in sorted(set(kinds_of) - known,
                          key=lambda key: [(value is None, value) for value in first(key).ordering])
    ]
    rows = []
    for key, label in ordered:
        for kind in kinds_of[key]:
            tally = tallies[(key, kind)]
            rows.append(ReportRow(key=key, label=label, kind=kind, met=tally.met,
                                  breached=tally.breached, median_seconds=tally.median_seconds))
    return rows


def slo_report_live(
    *, at: datetime, months: int = DEFAULT_MONTHS, kinds: list[str] | None = None,
    requests: QuerySet | None = None, breakdowns: Sequence[Breakdown] = (),
) -> SloReport:
    """The report computed over the clocks themselves (the restricted readers' path, and the
    reference the roll-ups are tested against). One aggregate query per grouping on
    PostgreSQL, two on SQLite."""
    kinds = list(kinds or engine.CLOCK_KINDS)
    start, end, firsts = report_period(months=months, at=at)
    clocks = SloClock.objects.filter(
        state__in=engine.STOPPED_STATES, stopped_at__gte=start, stopped_at__lt=end,
        kind__in=kinds,
    )
    if requests is not None and requests.query.has_filters():
        # An unfiltered queryset (the back office sees every request) restricts nothing:
        # no semi-join over the whole request table then.
        clocks = clocks.filter(request_id__in=requests.values("pk"))
    month_rows_found = _rows(clocks, MONTH, _month_of(firsts), None, [F("group")])
    return SloReport(
        start=start,
        end=end,
        months=firsts,
        kinds=kinds,
        by_month=_month_rows(firsts, kinds, month_rows_found),
        breakdowns=[
            (b.name, b.title, _rows(clocks, b.name, b.group, b.label, b.ordering))
            for b in breakdowns
        ],
    )


# ------------------------------------------------------------------------------ the chart

CHART_WIDTH = 720
CHART_HEIGHT = 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 20, 40
# Colours with at least 3:1 against white (WCAG 1.4.11, graphical objects).
KIND_COLOURS = {engine.FIRST_RESPONSE: "#1f5fa6", engine.RESOLUTION: "#b45309"}


@dataclass(frozen=True)
class ChartBar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class ChartLabel:
    x: float
    y: float
    text: str
    # Written upwards (a bar's value where the bars stand too close for it across).
    rotate: bool = False


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[ChartBar]
    month_labels: list[ChartLabel]
    grid: list[ChartLabel]  # y of each 0/25/50/75/100 % line and its text
    legend: list[tuple[str, str]]  # (clock kind, clock label)
    plot_left: int
    plot_right: int
    # Each bar's share written above it; "—" where a month has no verdict for a clock.
    values: list[ChartLabel] = field(default_factory=list)


# The height of a bar at 0 %: a visible line under its "0 %", plainly not a value.
ZERO_BAR_HEIGHT = 2.0
# About how wide a character of a value is (bold 10 px digits), to tell when values written
# across would overlap their neighbours; they are then written upwards, with room above.
VALUE_CHAR_WIDTH = 6.2
_TOP_UPWARDS = 40


def compliance_chart(report: SloReport) -> Chart:
    """Grouped bars: for each month, the share of clocks met, one bar per clock kind, its
    share written above it (a bar at 0 % is a thin line under "0 %"). A month without any
    verdict has no bar, only a dash where it would be (not a bar at 0 %)."""
    plot_width = CHART_WIDTH - _LEFT - _RIGHT
    slot = plot_width / max(len(report.months), 1)
    bar_width = min(36.0, slot * 0.8 / max(len(report.kinds), 1))
    rows = {(row.key, row.kind): row for row in report.by_month}
    # "100 %" is the longest value: written upwards when it would not fit across a bar.
    upwards = len("100 %") * VALUE_CHAR_WIDTH > bar_width
    top = _TOP_UPWARDS if upwards else _TOP
    plot_height = CHART_HEIGHT - top - _BOTTOM
    bars, labels, values = [], [], []
    for index, first in enumerate(report.months):
        key = _month_key(first)
        group_left = _LEFT + index * slot + (slot - bar_width * len(report.kinds)) / 2
        for position, kind in enumerate(report.kinds):
            row = rows.get((key, kind))
            x = round(group_left + position * bar_width, 1)
            middle = round(x + (bar_width - 2) / 2, 1)
            if row is None or row.share is None:
                values.append(ChartLabel(x=middle, y=round(top + plot_height - 4, 1),
                                         text="—"))
                continue
            height = max(round(plot_height * row.share, 1), ZERO_BAR_HEIGHT)
            values.append(ChartLabel(x=middle, y=round(top + plot_height - height - 4, 1),
                                     text=f"{row.share_percent}\u202f%", rotate=upwards))
            bars.append(ChartBar(
                x=x,
                y=round(top + plot_height - height, 1),
                width=round(bar_width - 2, 1),
                height=height,
                colour=KIND_COLOURS.get(kind, "#4b5563"),
                title=_("%(month)s, %(clock)s : %(share)s respectés (%(met)d sur %(total)d)") % {
                    "month": row.label, "clock": row.kind_label, "share": row.share_text,
                    "met": row.met, "total": row.total,
                },
            ))
        labels.append(ChartLabel(
            x=round(_LEFT + index * slot + slot / 2, 1), y=CHART_HEIGHT - _BOTTOM + 18,
            text=formats.date_format(first, "M Y") if len(report.months) > 6
            else _month_label(first),
        ))
    grid = [
        ChartLabel(x=_LEFT - 6, y=round(top + plot_height * (1 - percent / 100), 1),
                   text=f"{percent} %")
        for percent in (0, 25, 50, 75, 100)
    ]
    return Chart(
        width=CHART_WIDTH, height=CHART_HEIGHT, bars=bars, month_labels=labels, grid=grid,
        legend=[(kind, clock_label(kind)) for kind in report.kinds],
        plot_left=_LEFT, plot_right=CHART_WIDTH - _RIGHT, values=values,
    )
