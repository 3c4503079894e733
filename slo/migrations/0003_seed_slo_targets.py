"""Seed the SLO targets per priority (DESIGN.md §5), in business time:
Bloquante 30 min / 4 h · Haute 2 h / 16 h · Moyenne 4 h / 40 h · Basse 8 h / 80 h,
warning at 75 %. Priorities are found by code, seeded by requests_app's 0002 migration.
"""

from decimal import Decimal

from django.db import migrations

MINUTE = 60
HOUR = 60 * MINUTE

TARGETS = {
    # priority code: (Première réponse, Résolution) in business seconds
    "blocking": (30 * MINUTE, 4 * HOUR),
    "high": (2 * HOUR, 16 * HOUR),
    "medium": (4 * HOUR, 40 * HOUR),
    "low": (8 * HOUR, 80 * HOUR),
}


def seed(apps, schema_editor):
    Priority = apps.get_model("requests_app", "Priority")
    SloTarget = apps.get_model("slo", "SloTarget")
    for priority in Priority.objects.filter(code__in=TARGETS):
        first_response, resolution = TARGETS[priority.code]
        for clock, seconds in (("first_response", first_response), ("resolution", resolution)):
            SloTarget.objects.get_or_create(
                priority=priority,
                clock=clock,
                defaults={"target_seconds": seconds, "warning_ratio": Decimal("0.75")},
            )


def unseed(apps, schema_editor):
    apps.get_model("slo", "SloTarget").objects.filter(priority__code__in=TARGETS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("slo", "0002_seed_calendar_and_policy"),
        ("requests_app", "0002_seed_reference_data"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
