"""The clocks in the admin (read-only), and configuration edits made in the admin reaching the
open clocks through the recompute task, after commit."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from slo.calendar import calendar_cache_clear
from slo.models import ClockKind, SloClock, SloTarget
from tests import factories
from tests.slo.test_admin import submitted_form

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 8, tzinfo=ZoneInfo("Europe/Zurich"))


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar_cache_clear()
    yield
    calendar_cache_clear()


def test_clocks_are_listed_but_never_edited(admin_client, client_user) -> None:
    request = factories.make_request(client_user, at=MONDAY)
    clock = SloClock.objects.get(request=request, kind="resolution")
    page = admin_client.get(reverse("admin:slo_sloclock_changelist"))
    assert page.status_code == 200
    assert "40 h" in page.content.decode()
    assert admin_client.get(reverse("admin:slo_sloclock_add")).status_code == 403
    change = reverse("admin:slo_sloclock_change", args=[clock.pk])
    assert admin_client.get(change).status_code == 200  # view only
    assert admin_client.post(change, {"state": "met"}).status_code == 403
    clock.refresh_from_db()
    assert clock.state == "running"


def test_a_target_edited_in_the_admin_reaches_the_open_clocks(
    celery_eager,
    admin_client, client_user, django_capture_on_commit_callbacks
) -> None:
    request = factories.make_request(client_user, priority_code="blocking", at=MONDAY)
    target = SloTarget.objects.get(priority__code="blocking", clock=ClockKind.RESOLUTION)
    url = reverse("admin:slo_slotarget_change", args=[target.pk])
    data = submitted_form(admin_client.get(url))
    data["target_seconds"] = "6 h"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert admin_client.post(url, data).status_code == 302
    assert len(callbacks) == 1
    clock = SloClock.objects.get(request=request, kind="resolution")
    assert clock.target_seconds == 6 * 3600
