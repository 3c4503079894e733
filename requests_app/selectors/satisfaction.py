"""The satisfaction report: the clients' ratings per month, per agent (the assignee when the
client confirmed) and per organisation — how many, the average, and how they spread over the
five notes. A rating counts in the month it was first given.

Unfiltered (a reader who sees every request), each figure is one aggregate query over
``SatisfactionTally``, the counts per note of each (month, agent, organisation) that
``services.satisfaction`` keeps with every rating: the cost follows the cells of the period,
neither the ratings nor the requests. A reader who does not see every request (sales
administration) gets only the ratings of the requests the access rule shows them, counted
live from ``SatisfactionRating`` and its index ``satisfaction_report`` (created_at, agent,
organisation, note). Both give the same report, to the rating.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, Count, Q, QuerySet, Sum, Value, When
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from requests_app.charts import (
    BarChart,
    Series,
    bar_chart,
    count_maximum,
    horizontal_bar_chart,
)
from requests_app.models import (
    Organisation,
    SatisfactionRating,
    SatisfactionScore,
    SatisfactionTally,
)
from requests_app.people import person_name
from requests_app.selectors.directory import back_office_colleagues
from requests_app.selectors.reference import reference_row
from slo.reports import report_period

SCORES = (1, 2, 3, 4, 5)
MONTH, AGENT, ORGANISATION = "month", "agent", "organisation"


@dataclass(frozen=True)
class SatisfactionRow:
    key: str
    label: str
    # How many ratings gave each note, 1 to 5.
    counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def average(self) -> float | None:
        if not self.total:
            return None
        return sum(score * count for score, count in zip(SCORES, self.counts,
                                                         strict=True)) / self.total

    @property
    def average_text(self) -> str:
        average = self.average
        return "—" if average is None else formats.number_format(round(average, 1), 1)

    @property
    def average_csv(self) -> str:
        """The average to two decimals, written as the reader's language writes numbers."""
        average = self.average
        return "" if average is None else formats.number_format(round(average, 2), 2)

    @property
    def distribution(self) -> list[tuple[int, int]]:
        return list(zip(SCORES, self.counts, strict=True))


@dataclass(frozen=True)
class SatisfactionReport:
    start: datetime
    end: datetime
    months: list[date]
    by_month: list[SatisfactionRow] = field(default_factory=list)
    by_agent: list[SatisfactionRow] = field(default_factory=list)
    by_organisation: list[SatisfactionRow] = field(default_factory=list)

    @property
    def sections(self) -> list[tuple[str, str, list[SatisfactionRow]]]:
        return [
            (MONTH, _("Par mois"), self.by_month),
            (AGENT, _("Par agent"), self.by_agent),
            (ORGANISATION, _("Par organisation"), self.by_organisation),
        ]

    @property
    def overall(self) -> SatisfactionRow:
        counts = [sum(row.counts[index] for row in self.by_month) for index in range(5)]
        return SatisfactionRow(key="", label=_("Toute la période"),
                               counts=(counts[0], counts[1], counts[2], counts[3], counts[4]))

    @property
    def is_empty(self) -> bool:
        return not self.overall.total


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_start(first: date) -> datetime:
    """The first instant of the month beginning on ``first``, in the portal's time zone."""
    return datetime(first.year, first.month, 1, tzinfo=_zone())


def month_after(first: date) -> date:
    if first.month == 12:
        return date(first.year + 1, 1, 1)
    return date(first.year, first.month + 1, 1)


def rating_month(created_at: datetime) -> date:
    """The month a rating counts in (its ``SatisfactionTally`` cell): the first day of the
    local month of ``created_at``, as ``_month_of`` tells the months apart."""
    local = created_at.astimezone(_zone())
    return date(local.year, local.month, 1)


def _month_key(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def _month_of(firsts: list[date]) -> Case:
    """The local month of ``created_at`` as "YYYY-MM", by comparison with the months'
    boundaries (as the SLO report does): the same SQL on SQLite and PostgreSQL."""
    return Case(
        *[When(created_at__gte=month_start(first), then=Value(_month_key(first)))
          for first in reversed(firsts)],
        default=Value(""), output_field=CharField(),
    )


Counts = tuple[int, int, int, int, int]
NO_RATING: Counts = (0, 0, 0, 0, 0)
# Per month ("YYYY-MM"), per agent id, per organisation id.
Counted = tuple[dict[Any, Counts], dict[Any, Counts], dict[Any, Counts]]


def _tallies(ratings: QuerySet, group: str) -> dict[Any, Counts]:
    """The ratings counted per note and per ``group``, live."""
    counted = (ratings.values(group).order_by()
               # The note itself counted (a column of the index), so that PostgreSQL reads
               # the index alone.
               .annotate(**{f"n{score}": Count("rating", filter=Q(rating=score))
                            for score in SCORES}))
    return _by_group(counted, group)


def _tallies_kept(cells: QuerySet, group: str) -> dict[Any, Counts]:
    """The kept counts (``SatisfactionTally``) summed per ``group``."""
    summed = (cells.values(group).order_by()
              .annotate(**{f"n{score}": Sum(f"n{score}") for score in SCORES}))
    return _by_group(summed, group)


def _by_group(items: QuerySet, group: str) -> dict[Any, Counts]:
    # A group without a rating left (a kept cell whose counts moved elsewhere) is no group,
    # as the live count never has one.
    return {
        item[group]: (item["n1"], item["n2"], item["n3"], item["n4"], item["n5"])
        for item in items
        if item["n1"] or item["n2"] or item["n3"] or item["n4"] or item["n5"]
    }


def _counts_live(start: datetime, end: datetime, firsts: list[date],
                 requests: QuerySet | None) -> Counted:
    """The period's ratings counted from the ratings themselves."""
    ratings = SatisfactionRating.objects.filter(created_at__gte=start, created_at__lt=end)
    if requests is not None and requests.query.has_filters():
        ratings = ratings.filter(request_id__in=requests.values("pk"))
    return (_tallies(ratings.annotate(month=_month_of(firsts)), "month"),
            _tallies(ratings, "agent_id"), _tallies(ratings, "organisation_id"))


def _counts_kept(firsts: list[date]) -> Counted:
    """The same from the tallies: the period's months are whole months, [start, end) of
    ``report_period``, so that the cells of its months hold exactly its ratings."""
    cells = SatisfactionTally.objects.filter(month__gte=firsts[0], month__lte=firsts[-1])
    per_month = {_month_key(first): counts
                 for first, counts in _tallies_kept(cells, "month").items()}
    return per_month, _tallies_kept(cells, "agent_id"), _tallies_kept(cells, "organisation_id")


def _added(first: Counts, second: Counts) -> Counts:
    return (first[0] + second[0], first[1] + second[1], first[2] + second[2],
            first[3] + second[3], first[4] + second[4])


def _agent_names(ids: set[int]) -> dict[int, str]:
    """The agents' names from the process's copy of the back office; one query for those
    who have left it since (a deactivated account)."""
    names = {person.pk: person.name for person in back_office_colleagues() if person.pk in ids}
    missing = ids - set(names)
    if missing:
        names.update({user.pk: person_name(user)
                      for user in get_user_model().objects.filter(pk__in=missing)})
    return names


def satisfaction_report(*, at: datetime, months: int, requests: QuerySet | None = None,
                        live: bool = False) -> SatisfactionReport:
    """The last ``months`` calendar months up to the one of ``at``; ``requests`` (the
    reader's visible requests, from the access rule) restricts it when it is filtered.
    Unrestricted, it reads the tallies; ``live`` counts the ratings themselves instead (the
    tallies' check)."""
    start, end, firsts = report_period(months=months, at=at)
    restricted = requests is not None and requests.query.has_filters()
    per_month, per_agent, per_organisation = (
        _counts_live(start, end, firsts, requests) if live or restricted
        else _counts_kept(firsts))
    by_month = [
        SatisfactionRow(key=_month_key(first), label=formats.date_format(first, "F Y"),
                        counts=per_month.get(_month_key(first), NO_RATING))
        for first in firsts
    ]
    names = _agent_names({pk for pk in per_agent if pk is not None})
    # An agent whose account was deleted since: their ratings' agent is now NULL, so the
    # live count shows them unassigned; the tallies still hold the id, folded the same way.
    agents: dict[int | None, Counts] = {}
    for pk, counts in per_agent.items():
        known = pk if pk in names else None
        agents[known] = _added(agents.get(known, NO_RATING), counts)
    by_agent = sorted(
        (SatisfactionRow(key=str(pk or ""), label=names.get(pk, "") if pk else _("Non assignée"),
                         counts=counts) for pk, counts in agents.items()),
        key=lambda row: (not row.key, row.label.casefold()),
    )
    by_organisation = sorted(
        (SatisfactionRow(key=str(pk), label=_organisation_name(pk), counts=counts)
         for pk, counts in per_organisation.items()),
        key=lambda row: row.label.casefold(),
    )
    return SatisfactionReport(start=start, end=end, months=firsts, by_month=by_month,
                              by_agent=by_agent, by_organisation=by_organisation)


def _organisation_name(pk: int) -> str:
    organisation = reference_row(Organisation, pk)
    return organisation.name if organisation is not None else str(pk)


# ------------------------------------------------------------------------------ the charts

def _month_short(first: date, many: bool) -> str:
    return formats.date_format(first, "M Y" if many else "F Y")


def satisfaction_average_chart(report: SatisfactionReport) -> BarChart:
    """The average note of each month, on a 0–5 axis; a month without rating reads "—"."""
    many = len(report.months) > 6
    rows = report.by_month
    return bar_chart(
        categories=[_month_short(first, many) for first in report.months],
        series=[Series(
            key="average", label=_("Note moyenne"),
            values=[row.average for row in rows],
            texts=[row.average_text if row.total else "—" for row in rows],
            titles=[ngettext("%(month)s : note moyenne %(average)s sur 5 (%(count)d note)",
                             "%(month)s : note moyenne %(average)s sur 5 (%(count)d notes)",
                             row.total)
                    % {"month": row.label, "average": row.average_text, "count": row.total}
                    for row in rows],
        )],
        maximum=5, steps=5, tick_text=lambda value: str(int(value)),
    )


def satisfaction_distribution_chart(report: SatisfactionReport) -> BarChart:
    """How many ratings gave each note over the whole period."""
    overall = report.overall
    labels = dict(SatisfactionScore.choices)
    return horizontal_bar_chart(
        categories=[f"{score} — {labels[score]}" for score in SCORES],
        series=Series(
            key="count", label=_("Nombre de notes"),
            values=list(overall.counts),
            texts=[str(count) for count in overall.counts],
            titles=[ngettext("Note %(score)d (%(label)s) : %(count)d fois",
                             "Note %(score)d (%(label)s) : %(count)d fois", count)
                    % {"score": score, "label": labels[score], "count": count}
                    for score, count in overall.distribution],
        ),
        maximum=count_maximum(overall.counts), label_width=150, wrap=16,
    )
