"""slo.reports directly: the period, the restriction to the reader's visible requests, medians
of odd and even groups."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from requests_app import services
from requests_app.models import Request
from requests_app.selectors.reports import ORGANISATION, report_breakdowns
from slo import rollups
from slo.reports import report_period, slo_report
from tests import factories

pytestmark = pytest.mark.django_db

ZURICH = ZoneInfo("Europe/Zurich")
HOUR = 3600


def zurich(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZURICH)


def withdrawn(reporter, day: int, hours: int) -> Request:
    request = factories.make_request(reporter, at=zurich(2026, 3, day, 8))
    return services.request_withdraw(actor=reporter, request=request, reason="Réglé.",
                                     at=zurich(2026, 3, day, 8 + hours))


def test_the_period_is_whole_local_months() -> None:
    start, end, firsts = report_period(months=3, at=zurich(2026, 1, 1, 0, 30))
    assert firsts == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]
    assert (start, end) == (zurich(2025, 11, 1), zurich(2026, 2, 1))


def test_restricted_to_the_given_requests_with_exact_medians(client_user, outsider) -> None:
    for day, hours in ((2, 1), (3, 2), (4, 3)):  # Horlogerie: 1 h, 2 h, 3 h
        withdrawn(client_user, day, hours)
    for day, hours in ((2, 1), (3, 2)):  # Léman: 1 h, 2 h
        withdrawn(outsider, day, hours)
    at = zurich(2026, 3, 31, 12)
    rollups.rollups_refresh(now=at)
    everything = slo_report(at=at, months=1, kinds=["resolution"], requests=Request.objects.all(),
                            breakdowns=report_breakdowns())
    assert [(r.label, r.met, r.median_seconds)
            for r in everything.rows_of(ORGANISATION)] == [
        ("Chocolats du Léman SA", 2, 1 * HOUR + HOUR // 2),  # even: mean of the middle two
        ("Horlogerie du Jura SA", 3, 2 * HOUR),  # odd: the middle one
    ]
    leman = Request.objects.filter(organisation__name="Chocolats du Léman SA")
    only = slo_report(at=at, months=1, kinds=["resolution"], requests=leman,
                      breakdowns=report_breakdowns())
    assert [r.label for r in only.rows_of(ORGANISATION)] == ["Chocolats du Léman SA"]
    assert [(r.met, r.median_seconds) for r in only.by_month] == [(2, 1 * HOUR + HOUR // 2)]
