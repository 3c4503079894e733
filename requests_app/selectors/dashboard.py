"""The back office's dashboard (/agent/dashboard/): the open backlog by status and age, the
requests created and closed per week, SLO compliance per month, the requests whose SLO is at
risk or breached, and the reader's own open requests.

A fixed number of queries whatever the volume, each an aggregate read from an index: the
backlog from ``req_open_status_created`` (open requests only), the weeks from the creation
date's index and ``req_status_closed``, the reader's requests from ``req_assignee_status``;
SLO compliance is the SLO report's (its roll-ups), the list at risk the queue's. Everything
goes through the one access rule.

The backlog and the weeks cost what they count (the open requests, twelve weeks of flow):
for the back office, who sees every request, beat counts them once a minute
(``services.dashboard``, ``DashboardFigures``) and the page reads that one row; a reader who
sees part of the requests (sales administration: a small part) has them counted live, as
the page does when beat has not counted for ten minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from requests_app.charts import (
    BarChart,
    Series,
    bar_chart,
    count_maximum,
    horizontal_bar_chart,
)
from requests_app.models import DashboardFigures, Request
from requests_app.selectors.access import request_list_visible_to
from requests_app.selectors.counting import BoundedCount, bounded_counts
from requests_app.selectors.queues import (
    QueueRow,
    queue_get,
    queue_requests,
    queue_rows,
    queue_rows_complete,
)
from requests_app.workflow import OPEN_STATUSES, RequestStatus
from slo.display import ClockView, clock_label, nearest_clock_views_for
from slo.reports import SloReport, slo_report

AnyUser = User | AnonymousUser
S = RequestStatus

WEEKS = 12
SLO_MONTHS = 6
# The figures beat stores are read while this recent; older (beat stopped), the page counts
# for itself.
STORED_FIGURES_MAX_AGE = timedelta(minutes=10)
AT_RISK_QUEUE = "slo-a-risque"
AT_RISK_SHOWN = 10


@dataclass(frozen=True)
class AgeBucket:
    """Open requests created more than ``older_than`` days ago and at most ``up_to`` (None:
    no limit) days ago."""

    key: str
    label: Promise
    older_than: int
    up_to: int | None


AGE_BUCKETS = (
    AgeBucket("day", gettext_lazy("< 1 jour"), 0, 1),
    AgeBucket("days3", gettext_lazy("1–3 jours"), 1, 3),
    AgeBucket("week", gettext_lazy("3–7 jours"), 3, 7),
    AgeBucket("month", gettext_lazy("7–30 jours"), 7, 30),
    AgeBucket("older", gettext_lazy("> 30 jours"), 30, None),
)


@dataclass(frozen=True)
class StatusAges:
    ages: list[int]  # per age bucket
    total: int


@dataclass(frozen=True)
class Backlog:
    # {open status: [count per age bucket]}, every open status present, in workflow order.
    counts: dict[str, list[int]]

    @property
    def by_status(self) -> list[tuple[str, str, int]]:
        return [(status, str(S(status).label), sum(row)) for status, row in self.counts.items()]

    @property
    def by_status_and_age(self) -> list[tuple[str, str, StatusAges]]:
        return [(status, str(S(status).label), StatusAges(ages=row, total=sum(row)))
                for status, row in self.counts.items()]

    @property
    def by_age(self) -> list[tuple[AgeBucket, int]]:
        return [(bucket, sum(row[index] for row in self.counts.values()))
                for index, bucket in enumerate(AGE_BUCKETS)]

    @property
    def total(self) -> int:
        return sum(sum(row) for row in self.counts.values())


@dataclass(frozen=True)
class Week:
    start: date
    created: int
    closed: int

    @property
    def label(self) -> str:
        return _("Semaine du %(date)s") % {"date": formats.date_format(self.start,
                                                                         "DATE_FORMAT")}

    @property
    def short_label(self) -> str:
        return formats.date_format(self.start, "d.m.")


@dataclass(frozen=True)
class Dashboard:
    at: datetime
    backlog: Backlog
    weeks: list[Week]
    slo: SloReport
    at_risk: list[QueueRow]
    at_risk_clocks: dict[int, ClockView]
    at_risk_count: BoundedCount
    # {open status: how many of the reader's own requests}, every open status present.
    my_load: dict[str, int]
    # When beat counted the backlog and the weeks shown (None: counted for this page).
    figures_as_of: datetime | None = None

    @property
    def at_risk_rows(self) -> list[tuple[QueueRow, ClockView | None]]:
        return [(row, self.at_risk_clocks.get(row.pk)) for row in self.at_risk]

    @property
    def my_load_rows(self) -> list[tuple[str, str, int]]:
        return [(status, str(S(status).label), count) for status, count in self.my_load.items()]

    @property
    def my_load_total(self) -> int:
        return sum(self.my_load.values())


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def week_starts(*, at: datetime, weeks: int = WEEKS) -> list[datetime]:
    """The Mondays 00:00 (local time) of the last ``weeks`` weeks up to the one of ``at``,
    oldest first."""
    local = at.astimezone(_zone())
    monday = (local - timedelta(days=local.weekday())).date()
    return [datetime.combine(monday - timedelta(weeks=back), datetime.min.time(),
                             tzinfo=_zone())
            for back in range(weeks - 1, -1, -1)]


def _week_of(field: str, starts: list[datetime]) -> Case:
    """The index of the week ``field`` falls in, by comparison with the weeks' boundaries:
    plain SQL on both databases, served by the index of ``field``."""
    return Case(
        *[When(**{f"{field}__gte": start}, then=Value(index))
          for index, start in reversed(list(enumerate(starts)))],
        default=Value(-1), output_field=IntegerField(),
    )


def _backlog(visible: QuerySet, at: datetime) -> Backlog:
    """One query: the open requests per status, counted per age bucket."""
    buckets = {}
    for index, bucket in enumerate(AGE_BUCKETS):
        condition = Q()
        if bucket.older_than:
            condition &= Q(created_at__lte=at - timedelta(days=bucket.older_than))
        if bucket.up_to is not None:
            condition &= Q(created_at__gt=at - timedelta(days=bucket.up_to))
        # A column of the index (never NULL), so that the count reads the index alone.
        buckets[f"b{index}"] = Count("created_at", filter=condition)
    found = {
        row["status"]: [row[f"b{index}"] for index in range(len(AGE_BUCKETS))]
        for row in visible.filter(status__in=OPEN_STATUSES).order_by().values("status")
        .annotate(**buckets)
    }
    return Backlog(counts={status: found.get(status, [0] * len(AGE_BUCKETS))
                           for status in OPEN_STATUSES})


def _weeks(visible: QuerySet, at: datetime) -> list[Week]:
    """Two queries: the requests created, and those closed, in each of the last weeks."""
    starts = week_starts(at=at)
    created = dict(
        visible.filter(created_at__gte=starts[0]).order_by()
        .annotate(week=_week_of("created_at", starts)).values("week")
        .annotate(n=Count("*")).values_list("week", "n"))
    closed = dict(
        visible.filter(status=S.CLOSED, closed_at__gte=starts[0]).order_by()
        .annotate(week=_week_of("closed_at", starts)).values("week")
        .annotate(n=Count("*")).values_list("week", "n"))
    return [Week(start=start.date(), created=created.get(index, 0),
                 closed=closed.get(index, 0))
            for index, start in enumerate(starts)]


def _my_load(visible: QuerySet, user: AnyUser) -> dict[str, int]:
    if user.pk is None:
        return dict.fromkeys(OPEN_STATUSES, 0)
    found = dict(
        visible.filter(assignee_id=user.pk, status__in=OPEN_STATUSES).order_by()
        .values("status").annotate(n=Count("*")).values_list("status", "n"))
    return {status: found.get(status, 0) for status in OPEN_STATUSES}


def team_figures(*, at: datetime) -> tuple[Backlog, list[Week]]:
    """The backlog and the weeks over every request: what ``services.dashboard`` stores."""
    everything = Request.objects.all()
    return _backlog(everything, at), _weeks(everything, at)


def _stored_figures(at: datetime) -> tuple[Backlog, list[Week], datetime] | None:
    """The figures beat stored, if recent and of the shape this code draws."""
    row = DashboardFigures.objects.filter(pk=1).values("computed_at", "backlog",
                                                       "weeks").first()
    if row is None or not timedelta(0) <= at - row["computed_at"] <= STORED_FIGURES_MAX_AGE:
        return None
    stored, weeks = row["backlog"] or {}, row["weeks"] or []
    if (len(weeks) != WEEKS or set(stored) != set(OPEN_STATUSES)
            or any(len(counts) != len(AGE_BUCKETS) for counts in stored.values())):
        return None
    return (
        Backlog(counts={status: [int(n) for n in stored[status]] for status in OPEN_STATUSES}),
        [Week(start=date.fromisoformat(start), created=int(created), closed=int(closed))
         for start, created, closed in weeks],
        row["computed_at"],
    )


def dashboard_for(user: AnyUser, *, at: datetime) -> Dashboard:
    """Everything the dashboard shows this person, from what the access rule lets them
    see. Someone who sees every request reads the backlog and the weeks as beat last counted
    them (a minute ago at most); someone who sees a part has them counted over that part."""
    visible = request_list_visible_to(user)
    stored = None if visible.query.has_filters() else _stored_figures(at)
    if stored is not None:
        backlog, weeks, as_of = stored
    else:
        backlog, weeks, as_of = _backlog(visible, at), _weeks(visible, at), None
    queue = queue_get(AT_RISK_QUEUE)
    assert queue is not None  # one of the fixed queues
    at_risk_requests = queue_requests(user, queue, now=at)
    at_risk = queue_rows_complete(queue_rows(at_risk_requests)[:AT_RISK_SHOWN])
    return Dashboard(
        at=at,
        backlog=backlog,
        weeks=weeks,
        figures_as_of=as_of,
        slo=slo_report(at=at, months=SLO_MONTHS, requests=visible),
        at_risk=at_risk,
        at_risk_clocks=nearest_clock_views_for([row.pk for row in at_risk], at=at)
        if at_risk else {},
        at_risk_count=bounded_counts({"at_risk": visible.filter(
            queue.condition(user, at))})["at_risk"],
        my_load=_my_load(visible, user),
    )


# ------------------------------------------------------------------------------ the charts

def _count_titles(labels: list[str], counts: list[int]) -> list[str]:
    return [ngettext("%(label)s : %(count)d demande", "%(label)s : %(count)d demandes", count)
            % {"label": label, "count": count} for label, count in zip(labels, counts,
                                                                        strict=True)]


def _counts_chart(labels: list[str], counts: list[int], *, key: str, label: str
                  ) -> BarChart:
    return horizontal_bar_chart(
        categories=labels,
        series=Series(key=key, label=label, values=counts,
                      texts=[str(count) for count in counts],
                      titles=_count_titles(labels, counts)),
        maximum=count_maximum(counts),
    )


def backlog_status_chart(backlog: Backlog) -> BarChart:
    rows = backlog.by_status
    return _counts_chart([label for _s, label, _n in rows], [n for _s, _l, n in rows],
                         key="backlog", label=_("Demandes ouvertes"))


def backlog_age_chart(backlog: Backlog) -> BarChart:
    rows = backlog.by_age
    return _counts_chart([str(bucket.label) for bucket, _n in rows], [n for _b, n in rows],
                         key="age", label=_("Demandes ouvertes"))


def my_load_chart(dashboard: Dashboard) -> BarChart:
    rows = dashboard.my_load_rows
    return _counts_chart([label for _s, label, _n in rows], [n for _s, _l, n in rows],
                         key="mine", label=_("Mes demandes ouvertes"))


def weeks_chart(weeks: list[Week]) -> BarChart:
    labels = [week.short_label for week in weeks]
    created = [week.created for week in weeks]
    closed = [week.closed for week in weeks]

    def titles(what: str, counts: list[int]) -> list[str]:
        return [ngettext("%(week)s : %(count)d demande %(what)s",
                         "%(week)s : %(count)d demandes %(what)s", count)
                % {"week": week.label, "count": count, "what": what}
                for week, count in zip(weeks, counts, strict=True)]

    return bar_chart(
        categories=labels,
        series=[
            Series(key="created", label=_("Créées"), values=created,
                   texts=[str(n) for n in created], titles=titles(_("créée(s)"), created)),
            Series(key="closed", label=_("Fermées"), values=closed,
                   texts=[str(n) for n in closed], titles=titles(_("fermée(s)"), closed)),
        ],
        maximum=count_maximum(created + closed),
    )


def slo_chart(report: SloReport) -> BarChart:
    """The SLO report's compliance per month, one bar per clock; a month without any
    verdict reads "—"."""
    rows = {(row.key, row.kind): row for row in report.by_month}
    months = [row for row in report.by_month if row.kind == report.kinds[0]]
    series = []
    for kind in report.kinds:
        its: list[Any] = [rows.get((month.key, kind)) for month in months]
        series.append(Series(
            key=kind, label=clock_label(kind),
            values=[None if row is None or row.share is None else row.share * 100
                    for row in its],
            texts=["—" if row is None or row.share_percent is None
                   else f"{row.share_percent}\u202f%" for row in its],
            titles=[_("%(month)s, %(clock)s : %(share)s respectés (%(met)d sur %(total)d)")
                    % {"month": row.label, "clock": row.kind_label, "share": row.share_text,
                       "met": row.met, "total": row.total} if row is not None else ""
                    for row in its],
        ))
    return bar_chart(
        categories=[month.label for month in months], series=series, maximum=100,
        tick_text=lambda value: f"{int(value)} %",
    )


__all__ = [
    "AGE_BUCKETS", "Backlog", "Dashboard", "Week", "backlog_age_chart", "backlog_status_chart",
    "dashboard_for", "my_load_chart", "team_figures", "slo_chart", "week_starts", "weeks_chart",
]
