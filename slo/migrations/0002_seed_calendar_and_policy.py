"""Seed the default business calendar (DESIGN.md §5) and the status clock policy (§1).

Calendar: Monday to Friday 08:00-12:00 and 13:30-17:30, Europe/Zurich, federal holidays.
Policy: the clock runs in every status except En attente client (paused) and Fermé (stopped).
Idempotent (update_or_create), so re-running it on a database that has the rows is harmless;
reversing removes only what it created by name.
"""

import datetime
import uuid

from django.db import migrations

CALENDAR_NAME = "Customer Services (Suisse)"
SPANS = [(datetime.time(8, 0), datetime.time(12, 0)), (datetime.time(13, 30), datetime.time(17, 30))]
WEEKDAYS = range(5)  # Monday (0) to Friday (4)

POLICY = [
    ("open", "run"),
    ("qualified", "run"),
    ("in_progress", "run"),
    ("awaiting_triage", "run"),
    ("awaiting_rnd", "run"),
    ("awaiting_customer", "pause"),
    ("closed", "stop"),
]


def seed(apps, schema_editor):
    BusinessCalendar = apps.get_model("slo", "BusinessCalendar")
    WorkingPeriod = apps.get_model("slo", "WorkingPeriod")
    StatusClockPolicy = apps.get_model("slo", "StatusClockPolicy")

    has_default = BusinessCalendar.objects.filter(is_default=True).exists()
    calendar, created = BusinessCalendar.objects.get_or_create(
        name=CALENDAR_NAME,
        defaults={"time_zone": "Europe/Zurich", "canton": "", "is_default": not has_default},
    )
    if created:
        WorkingPeriod.objects.bulk_create(
            WorkingPeriod(calendar=calendar, weekday=weekday, start=start, end=end)
            for weekday in WEEKDAYS
            for start, end in SPANS
        )
        # bulk_create sends no signal: renew the revision by hand, so that a calendar cached
        # while the row had no periods yet (the seed re-run by the tests) is not reused.
        BusinessCalendar.objects.filter(pk=calendar.pk).update(revision=uuid.uuid4())
    for status, action in POLICY:
        StatusClockPolicy.objects.get_or_create(status=status, defaults={"clock_action": action})


def unseed(apps, schema_editor):
    apps.get_model("slo", "BusinessCalendar").objects.filter(name=CALENDAR_NAME).delete()
    apps.get_model("slo", "StatusClockPolicy").objects.filter(
        status__in=[status for status, _ in POLICY]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("slo", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
