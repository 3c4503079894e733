"""The satisfaction report: the clients' ratings per month, per agent (the assignee when the
client confirmed) and per organisation — how many, the average, and how they spread over the
five notes. A rating counts in the month it was first given.

Each figure is one aggregate query over ``SatisfactionRating``, read from its index
``satisfaction_report`` (month, agent, organisation, note): the cost follows the ratings of
the period, never the number of requests. A reader who does not see every request (sales
administration) gets only the ratings of the requests the access rule shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
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
from requests_app.models import Organisation, SatisfactionRating, SatisfactionScore
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


def _month_key(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def _month_of(firsts: list[date]) -> Case:
    """The local month of ``created_at`` as "YYYY-MM", by comparison with the months'
    boundaries (as the SLO report does): the same SQL on SQLite and PostgreSQL."""
    zone = _zone()
    return Case(
        *[When(created_at__gte=datetime(first.year, first.month, 1, tzinfo=zone),
               then=Value(_month_key(first))) for first in reversed(firsts)],
        default=Value(""), output_field=CharField(),
    )


def _tallies(ratings: QuerySet, group: str) -> dict[Any, tuple[int, int, int, int, int]]:
    counted = (ratings.values(group).order_by()
               # The note itself counted (a column of the index), so that PostgreSQL reads
               # the index alone.
               .annotate(**{f"n{score}": Count("rating", filter=Q(rating=score))
                            for score in SCORES}))
    return {
        item[group]: (item["n1"], item["n2"], item["n3"], item["n4"], item["n5"])
        for item in counted
    }


def _agent_names(ids: set[int]) -> dict[int, str]:
    """The agents' names from the process's copy of the back office; one query for those
    who have left it since (a deactivated account)."""
    names = {person.pk: person.name for person in back_office_colleagues() if person.pk in ids}
    missing = ids - set(names)
    if missing:
        names.update({user.pk: person_name(user)
                      for user in get_user_model().objects.filter(pk__in=missing)})
    return names


def satisfaction_report(*, at: datetime, months: int,
                        requests: QuerySet | None = None) -> SatisfactionReport:
    """The last ``months`` calendar months up to the one of ``at``; ``requests`` (the
    reader's visible requests, from the access rule) restricts it when it is filtered."""
    start, end, firsts = report_period(months=months, at=at)
    ratings = SatisfactionRating.objects.filter(created_at__gte=start, created_at__lt=end)
    if requests is not None and requests.query.has_filters():
        ratings = ratings.filter(request_id__in=requests.values("pk"))
    per_month = _tallies(ratings.annotate(month=_month_of(firsts)), "month")
    by_month = [
        SatisfactionRow(key=_month_key(first), label=formats.date_format(first, "F Y"),
                        counts=per_month.get(_month_key(first), (0, 0, 0, 0, 0)))
        for first in firsts
    ]
    per_agent = _tallies(ratings, "agent_id")
    names = _agent_names({pk for pk in per_agent if pk is not None})
    by_agent = sorted(
        (SatisfactionRow(key=str(pk or ""), label=names.get(pk, "") if pk else _("Non assignée"),
                         counts=counts) for pk, counts in per_agent.items()),
        key=lambda row: (not row.key, row.label.casefold()),
    )
    per_organisation = _tallies(ratings, "organisation_id")
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
