"""The SLO configuration screens of the Django admin, driven through real HTTP requests."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.urls import reverse

from slo.calendar import calendar_cache_clear, default_calendar
from slo.models import BusinessCalendar, ClockKind, SloTarget, WorkingPeriod

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar_cache_clear()
    yield
    calendar_cache_clear()


def submitted_form(response) -> dict[str, object]:
    """The POST data a browser would send back for an admin change page, unchanged."""
    data: dict[str, object] = {}

    def add(form) -> None:
        for name in form.fields:
            value = form[name].value()
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif value is not None and value is not False:  # keep 0 (Monday)
                data[form.add_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.initial_forms:
            add(form)
    return data


def test_changelists_and_change_pages_render(admin_client) -> None:
    calendar = BusinessCalendar.objects.get(is_default=True)
    for url in (
        reverse("admin:slo_businesscalendar_changelist"),
        reverse("admin:slo_businesscalendar_change", args=[calendar.pk]),
        reverse("admin:slo_businesscalendar_add"),
        reverse("admin:slo_statusclockpolicy_changelist"),
        reverse("admin:slo_slotarget_changelist"),
        reverse("admin:slo_slotarget_add"),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_targets_are_listed_in_hours_and_minutes(admin_client) -> None:
    page = admin_client.get(reverse("admin:slo_slotarget_changelist")).content.decode()
    for text in ("30 min", "4 h", "16 h", "40 h", "80 h", "75 % (après 3 h)"):
        assert text in page


def test_target_entered_in_hours_and_minutes(admin_client) -> None:
    target = SloTarget.objects.get(priority__code="blocking", clock=ClockKind.FIRST_RESPONSE)
    url = reverse("admin:slo_slotarget_change", args=[target.pk])
    data = submitted_form(admin_client.get(url))
    assert data["target_seconds"] == "30 min"
    data["target_seconds"] = "1 h 30"
    response = admin_client.post(url, data)
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.target_seconds == 5400

    data["target_seconds"] = "bientôt"
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Durée illisible" in response.content.decode()
    target.refresh_from_db()
    assert target.target_seconds == 5400


def test_closure_day_added_in_the_admin_closes_the_default_calendar(admin_client) -> None:
    calendar = BusinessCalendar.objects.get(is_default=True)
    assert not default_calendar().is_closed(date(2026, 12, 24))
    url = reverse("admin:slo_businesscalendar_change", args=[calendar.pk])
    data = submitted_form(admin_client.get(url))
    data.update(
        {
            "closure_days-TOTAL_FORMS": 1,
            "closure_days-0-date": "2026-12-24",
            "closure_days-0-label": "Veille de Noël",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert default_calendar().is_closed(date(2026, 12, 24))


def test_splitting_a_period_in_one_submission_is_not_an_overlap(admin_client) -> None:
    calendar = BusinessCalendar.objects.get(is_default=True)
    url = reverse("admin:slo_businesscalendar_change", args=[calendar.pk])
    data = submitted_form(admin_client.get(url))
    # Monday 08:00-12:00 becomes 08:00-10:00, and a new row 10:00-12:00 is added.
    index = next(
        i
        for i in range(int(data["working_periods-TOTAL_FORMS"]))
        if data[f"working_periods-{i}-weekday"] == 0
        and str(data[f"working_periods-{i}-start"]).startswith("08:00")
    )
    total = int(data["working_periods-TOTAL_FORMS"])
    data[f"working_periods-{index}-end"] = "10:00"
    data.update(
        {
            "working_periods-TOTAL_FORMS": total + 1,
            f"working_periods-{total}-weekday": 0,
            f"working_periods-{total}-start": "10:00",
            f"working_periods-{total}-end": "12:00",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302
    monday = WorkingPeriod.objects.filter(calendar=calendar, weekday=0).order_by("start")
    assert [(p.start, p.end) for p in monday] == [
        (time(8), time(10)),
        (time(10), time(12)),
        (time(13, 30), time(17, 30)),
    ]


def test_overlapping_periods_are_refused(admin_client) -> None:
    calendar = BusinessCalendar.objects.get(is_default=True)
    url = reverse("admin:slo_businesscalendar_change", args=[calendar.pk])
    data = submitted_form(admin_client.get(url))
    total = int(data["working_periods-TOTAL_FORMS"])
    data.update(
        {
            "working_periods-TOTAL_FORMS": total + 1,
            f"working_periods-{total}-weekday": 2,
            f"working_periods-{total}-start": "11:00",
            f"working_periods-{total}-end": "14:00",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "se chevauchent" in response.content.decode()
    assert WorkingPeriod.objects.filter(calendar=calendar).count() == 10
