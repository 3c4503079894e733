"""The SLO report's roll-ups: what the report reads instead of the clocks, kept up to date
from the months that changed.

What is kept (``SloRollup``):

* for every month (local time) and clock kind, for the month alone and for each group of each
  breakdown (``settings.SLO_REPORT_BREAKDOWNS``, from the request app): the verdicts met and
  breached, and the histogram of the business time consumed in whole business minutes
  (``consumed_seconds // 60``), with its median;
* for the current month only, the same figures over the report's longer periods (3, 6, 12 and
  24 months ending with it), merged from the months' histograms.

Medians are exact to the minute: the middle minute, or the mean of the two middle minutes
(what the live computation gives whenever the times are whole minutes; otherwise at most a
minute apart, the page shows minutes).

Why the periods are stored rather than merged when the report is read: a histogram is as
large as the number of distinct minutes in it, and an organisation's month holds a few
hundred nearly all distinct values, so merging at read time costs in proportion to the clocks
again (78,000 entries at 100k requests, ~150 ms). The periods' rows are a few thousand
whatever the volume. A report for another month (``at`` in the past) merges the histograms at
read time (the same figures, slower).

When. Every change of a stopped clock (a stop, a rewrite, a replay, a deletion) adds a
``SloRollupChange`` row for its month(s), in the writer's transaction: an insert, so writers
never wait on each other. :func:`rollups_refresh` recomputes those months from the clocks (one
grouped query per month: by every breakdown's group, kind and minute), writes the rows that
changed, recomputes the periods of the groups that changed, and deletes the change rows it
read — in one transaction; refreshes are serialised by a lock on the single
``SloRollupState`` row. It runs every minute (beat) and nightly over the last 25 months,
which repairs what no change row announces: clocks written by raw SQL. The report reads the
roll-ups as the last refresh left them and says when that was: a reader never waits for a
refresh (seconds at a million requests), and a change shows within the minute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from slo import engine
from slo.models import SloClock, SloRollup, SloRollupChange, SloRollupState
from slo.reports import PERIOD_CHOICES, Breakdown, Tally

# The periods kept besides the month itself, and how far back they reach.
PERIOD_LENGTHS = tuple(length for length in PERIOD_CHOICES if length > 1)
LONGEST = max(PERIOD_CHOICES)
NIGHTLY_MONTHS = LONGEST + 1
MONTH_ONLY = ""
_CHUNK = 1000

Cell = tuple[str, str, str]  # (breakdown, group key, clock kind)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def rollup_month(at: datetime) -> date:
    """The first day of the local month of ``at``, as ``report_period`` counts months."""
    local = at.astimezone(_zone())
    return date(local.year, local.month, 1)


def _month_add(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_bounds(first: date) -> tuple[datetime, datetime]:
    following = _month_add(first, 1)
    return (datetime(first.year, first.month, 1, tzinfo=_zone()),
            datetime(following.year, following.month, 1, tzinfo=_zone()))


def configured_breakdowns() -> list[Breakdown]:
    """The breakdowns the roll-ups are kept for, from the app that owns the requests."""
    return list(import_string(settings.SLO_REPORT_BREAKDOWNS)())


def rollups_cover(names: Iterable[str]) -> bool:
    """Whether the roll-ups hold these breakdowns (otherwise the report is computed live)."""
    return set(names) <= {breakdown.name for breakdown in configured_breakdowns()}


# ------------------------------------------------------------------------------ marking


def rollups_mark(*instants: datetime | None) -> None:
    """The months of these instants (stop instants of clocks that changed, before and after)
    are out of date: one insert, in the caller's transaction."""
    months = sorted({rollup_month(at) for at in instants if at is not None})
    if months:
        SloRollupChange.objects.bulk_create([SloRollupChange(month=month) for month in months])


def rollups_mark_request(request_id: int) -> None:
    """A request's group changed (its priority, its organisation) after some of its clocks
    stopped: the months of those verdicts are out of date. For the app that owns the requests
    to call where such a change is made; until it does, the nightly repair catches up."""
    rollups_mark(*SloClock.objects.filter(
        request_id=request_id, state__in=engine.STOPPED_STATES,
    ).values_list("stopped_at", flat=True))


def rollups_dirty_months(*, within: Iterable[date] | None = None) -> list[date]:
    """The months marked out of date (among ``within``, when given), oldest first."""
    changes = SloRollupChange.objects.all()
    if within is not None:
        changes = changes.filter(month__in=list(within))
    return sorted(set(changes.values_list("month", flat=True).distinct()))


# ------------------------------------------------------------------------------ refreshing


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def _labels(breakdown: Breakdown, clocks: QuerySet, keys: set[str]
            ) -> dict[str, tuple[str, list[Any]]]:
    """{group key: (label, ordering values)} of the month's groups: from the breakdown's
    ``group_names`` hook (the request app's small tables, in its order) when it has one, else from
    a grouped query over the month's clocks."""
    if breakdown.group_names is not None:
        # The hook orders the groups when the report is read; stored, the label alone (a
        # position would move whenever a group joins the month, and rewrite every row).
        return {key: (label, [label]) for key, label in breakdown.group_names(sorted(keys))}
    ordering = {f"order_{index}": expr for index, expr in enumerate(breakdown.ordering)}
    return {
        str(item["group"]): (str(item["group_label"]),
                             [_jsonable(item[name]) for name in ordering])
        for item in clocks.annotate(group=breakdown.group, group_label=breakdown.label,
                                    **ordering)
        .values("group", "group_label", *ordering).distinct().order_by()
    }


def _month_cells(first: date, breakdowns: Sequence[Breakdown]) -> dict[Cell, SloRollup]:
    """The month's roll-up rows computed from its stopped clocks in one grouped query (by
    every breakdown's group, clock kind and business minute: the request table is joined
    once), folded here into the month's and each breakdown's cells."""
    start, end = _month_bounds(first)
    clocks = SloClock.objects.filter(
        state__in=engine.STOPPED_STATES, stopped_at__gte=start, stopped_at__lt=end,
    )
    groups = {f"group_{index}": b.group for index, b in enumerate(breakdowns)}
    counted = (
        clocks.annotate(**groups, minute=F("consumed_seconds") / 60)
        .values(*groups, "kind", "minute")
        .annotate(met=Count("pk", filter=Q(state=engine.MET)),
                  breached=Count("pk", filter=Q(state=engine.BREACHED)))
        .order_by()
    )
    cells: dict[Cell, SloRollup] = {}
    for item in counted:
        minute = str(item["minute"])
        keys = [(MONTH_ONLY, "")] + [(b.name, str(item[name]))
                                     for name, b in zip(groups, breakdowns, strict=True)]
        for name, key in keys:
            cell = cells.get((name, key, item["kind"]))
            if cell is None:
                cell = cells[(name, key, item["kind"])] = SloRollup(
                    end_month=first, months=1, kind=item["kind"], breakdown=name,
                    group_key=key, histogram={})
            cell.met += item["met"]
            cell.breached += item["breached"]
            cell.histogram[minute] = (cell.histogram.get(minute, 0) + item["met"]
                                      + item["breached"])
    for b in breakdowns:
        labels = _labels(b, clocks, {key for name, key, _kind in cells if name == b.name})
        for (name, key, _kind), cell in cells.items():
            if name == b.name:
                # A key the hook does not know (a NULL group): shown as the live query does.
                cell.group_label, cell.ordering = labels.get(key, (key, [None]))
    for cell in cells.values():
        cell.median_seconds = _histogram_median(
            Counter({int(minute): count for minute, count in cell.histogram.items()}))
    return cells


def _same(old: SloRollup, new: SloRollup) -> bool:
    return (old.group_label, old.ordering, old.met, old.breached, old.median_seconds,
            old.histogram) == (new.group_label, new.ordering, new.met, new.breached,
                               new.median_seconds, new.histogram)


def _month_replace(first: date, breakdowns: Sequence[Breakdown]) -> set[tuple[str, str]]:
    """Recompute one month and write only the rows that changed; the (breakdown, group) of
    those rows, whose periods are then out of date."""
    new = _month_cells(first, breakdowns)
    old = {
        (row.breakdown, row.group_key, row.kind): row
        for row in SloRollup.objects.filter(end_month=first, months=1)
    }
    changed = {
        key for key in old.keys() | new.keys()
        if key not in old or key not in new or not _same(old[key], new[key])
    }
    if gone := [old[key].pk for key in changed if key in old]:
        SloRollup.objects.filter(pk__in=gone).delete()
    if fresh := [new[key] for key in changed if key in new]:
        SloRollup.objects.bulk_create(fresh)
    return {(name, group) for name, group, _kind in changed if name != MONTH_ONLY}


def _histogram_median(histogram: Counter) -> int:
    """The median of a {minute: count} histogram, in seconds: the middle minute, or the mean of
    the two middle minutes."""
    total = sum(histogram.values())
    low, high = (total + 1) // 2, total // 2 + 1  # 1-based ranks; equal when total is odd
    seen, lower = 0, None
    for minute in sorted(histogram):
        seen += histogram[minute]
        if lower is None and seen >= low:
            lower = minute
        if seen >= high:
            return (lower + minute) * 30  # mean of the two minutes, times 60
    raise ValueError("empty histogram")


def _periods(cells: Iterable[SloRollup], *, end: date, lengths: Sequence[int]
             ) -> dict[tuple[str, str, str, int], Tally]:
    """{(breakdown, group, kind, length): the figures over the ``length`` months ending with
    ``end``}, merged from the monthly cells (read with their histograms). One pass per group,
    from the last month backwards, so that the nested periods share the merge."""
    by_group: dict[Cell, dict[date, SloRollup]] = {}
    for row in cells:
        by_group.setdefault((row.breakdown, row.group_key, row.kind), {})[row.end_month] = row
    found = {}
    for group, months in by_group.items():
        histogram: Counter = Counter()
        met = breached = 0
        latest: SloRollup | None = None
        month = end
        for length in range(1, max(lengths) + 1):
            cell = months.get(month)
            if cell is not None:
                latest = latest or cell
                met, breached = met + cell.met, breached + cell.breached
                for minute, count in cell.histogram.items():
                    histogram[int(minute)] += count
            if length in lengths and latest is not None:
                found[(*group, length)] = Tally(
                    met=met, breached=breached, median_seconds=_histogram_median(histogram),
                    label=latest.group_label, ordering=tuple(latest.ordering),
                )
            month = _month_add(month, -1)
    return found


def _periods_replace(current: date, names: Sequence[str],
                     touched: set[tuple[str, str]] | None) -> None:
    """Recompute the stored periods ending with ``current``: of every group (``touched``
    None: a new month, a full refresh), or of the groups given."""
    cells = SloRollup.objects.filter(
        months=1, end_month__gte=_month_add(current, 1 - LONGEST), end_month__lte=current,
        breakdown__in=list(names),
    )
    if touched is None:
        SloRollup.objects.filter(months__gt=1).delete()
        chosen = list(cells)
    else:
        chosen = []
        for name in names:
            keys = sorted(key for breakdown, key in touched if breakdown == name)
            if not keys:
                continue
            chosen += cells.filter(breakdown=name, group_key__in=keys)
            SloRollup.objects.filter(months__gt=1, end_month=current, breakdown=name,
                                     group_key__in=keys).delete()
    SloRollup.objects.bulk_create([
        SloRollup(end_month=current, months=length, kind=kind, breakdown=name, group_key=key,
                  group_label=tally.label, ordering=list(tally.ordering), met=tally.met,
                  breached=tally.breached, median_seconds=tally.median_seconds)
        for (name, key, kind, length), tally in _periods(
            chosen, end=current, lengths=PERIOD_LENGTHS).items()
    ])


def _state_locked() -> SloRollupState:
    state = SloRollupState.objects.select_for_update().filter(pk=1).first()
    if state is None:  # a flushed database (the migration creates the row)
        SloRollupState.objects.get_or_create(pk=1)
        state = SloRollupState.objects.select_for_update().get(pk=1)
    return state


def _periods_end() -> date | None:
    return SloRollupState.objects.filter(pk=1).values_list("periods_end", flat=True).first()


def rollups_refresh(
    *, months: Iterable[date] | None = None, force: bool = False,
    breakdowns: Sequence[Breakdown] | None = None, now: datetime | None = None,
) -> int:
    """Recompute the roll-ups of the months marked out of date (among ``months``, first days,
    when given), then the current month's periods of the groups that changed (of all groups
    in a new month). ``force``: recompute all of ``months`` whatever their marks, and every
    period (the nightly repair, a full refresh). Returns how many months were recomputed.

    One transaction. A concurrent refresh waits for it (the state row is locked) and then
    finds those months clean; writers of clocks never wait (they only insert change rows, and
    only the rows read here are deleted)."""
    now = now or timezone.now()
    current = rollup_month(now)
    if not force and _periods_end() == current and not SloRollupChange.objects.exists():
        return 0  # the usual minute: nothing changed
    chosen = configured_breakdowns() if breakdowns is None else list(breakdowns)
    names = [b.name for b in chosen]
    among = None if months is None else set(months)
    with transaction.atomic():
        state = _state_locked()
        changes = [(pk, month) for pk, month in SloRollupChange.objects.values_list("pk", "month")
                   if among is None or month in among]
        wanted = sorted(among if force and among is not None else {m for _pk, m in changes})
        touched: set[tuple[str, str]] = set()
        window = _month_add(current, 1 - LONGEST)
        for first in wanted:
            changed = _month_replace(first, chosen)
            if window <= first <= current:
                touched |= changed
        if force or state.periods_end != current:
            _periods_replace(current, names, None)
        elif touched:
            _periods_replace(current, names, touched)
        state.periods_end, state.refreshed_at = current, now
        state.save(update_fields=["periods_end", "refreshed_at"])
        taken = [pk for pk, _month in changes]
        for index in range(0, len(taken), _CHUNK):
            SloRollupChange.objects.filter(pk__in=taken[index:index + _CHUNK]).delete()
    return len(wanted)


def rollups_refresh_recent(*, months: int = NIGHTLY_MONTHS, now: datetime | None = None) -> int:
    """The nightly repair: the last ``months`` months recomputed, the periods rebuilt."""
    now = now or timezone.now()
    current = rollup_month(now)
    return rollups_refresh(months=[_month_add(current, -back) for back in range(months)],
                           force=True, now=now)


def rollups_refresh_all(*, breakdowns: Sequence[Breakdown] | None = None,
                        now: datetime | None = None) -> int:
    """Every month that has stopped clocks or roll-ups, recomputed (after a bulk load such
    as ``seed_volume``, or to start afresh); the periods rebuilt."""
    now = now or timezone.now()
    span = SloClock.objects.filter(state__in=engine.STOPPED_STATES).aggregate(
        first=Min("stopped_at"), last=Max("stopped_at"))
    months = set(SloRollup.objects.filter(months=1).values_list("end_month", flat=True))
    if span["first"] is not None:
        month, last = rollup_month(span["first"]), rollup_month(span["last"])
        while month <= last:
            months.add(month)
            month = _month_add(month, 1)
    return rollups_refresh(months=sorted(months), force=True, breakdowns=breakdowns, now=now)


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class RollupFigures:
    months: dict[tuple[date, str], Tally] = field(default_factory=dict)  # (month, kind)
    # breakdown name -> {(group key, kind): figures over the period}
    groups: dict[str, dict[tuple[str, str], Tally]] = field(default_factory=dict)
    refreshed_at: datetime | None = None  # the last refresh (None: never refreshed)
    pending: bool = False  # changes to months of the period that the next refresh takes in


def rollups_figures(*, firsts: list[date], kinds: Sequence[str],
                    names: Sequence[str]) -> RollupFigures:
    """The report's figures for the months ``firsts`` (consecutive, oldest first), as the
    last refresh left them (beat's, at most a minute ago): a fixed number of small queries,
    whatever the volume. Refreshing here would make a reader wait for every month that
    changed (seconds at a million requests) and serialise readers behind the refresh lock.

    The current month's stored periods serve a period ending with it; until the first refresh
    of a new month has built them (and for a period ending in another month), the months'
    histograms are merged here (the same figures, slower)."""
    end, length = firsts[-1], len(firsts)
    state = SloRollupState.objects.filter(pk=1).values("periods_end", "refreshed_at").first()
    periods_end = state["periods_end"] if state else None
    stored = length in PERIOD_LENGTHS and end == periods_end
    wanted = Q(months=1, breakdown=MONTH_ONLY, end_month__in=firsts)
    if length == 1:
        wanted |= Q(months=1, end_month=end, breakdown__in=list(names))
    elif stored:
        wanted |= Q(months=length, end_month=end, breakdown__in=list(names))
    figures = RollupFigures(
        groups={name: {} for name in names},
        refreshed_at=state["refreshed_at"] if state else None,
        pending=SloRollupChange.objects.filter(month__in=firsts).exists(),
    )
    for row in (SloRollup.objects.filter(wanted, kind__in=list(kinds)).order_by()
                .values("end_month", "months", "kind", "breakdown", "group_key", "group_label",
                        "ordering", "met", "breached", "median_seconds")):
        tally = Tally(met=row["met"], breached=row["breached"],
                      median_seconds=row["median_seconds"], label=row["group_label"],
                      ordering=tuple(row["ordering"]))
        if row["breakdown"] == MONTH_ONLY:
            figures.months[(row["end_month"], row["kind"])] = tally
        else:
            figures.groups[row["breakdown"]][(row["group_key"], row["kind"])] = tally
    if length > 1 and not stored:
        # Not a stored period (another month's, or a new month's before its first refresh).
        cells = SloRollup.objects.filter(months=1, end_month__in=firsts,
                                         breakdown__in=list(names), kind__in=list(kinds))
        for (name, key, kind, _length), tally in _periods(
                cells, end=end, lengths=[length]).items():
            figures.groups[name][(key, kind)] = tally
    return figures
