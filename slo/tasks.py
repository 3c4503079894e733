"""Celery entry points of the SLO app: thin, they call ``slo.services``."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from slo import rollups, services


@shared_task(ignore_result=True)
def sweep_clocks_task() -> dict[str, int]:
    """Every minute (beat): record the warnings and breaches that came due, each once, and
    say when it ran (``/metrics`` tells how long ago)."""
    now = timezone.now()
    result = services.clocks_sweep(now=now)
    _sweep_recorded(now)
    return {"warnings": result.warnings, "breaches": result.breaches}


def _sweep_recorded(now: datetime) -> None:
    # Handed to the function named in settings.SLO_SWEEP_RECORDER (the portal's heartbeats):
    # slo keeps no record of its own runs and imports no other app.
    recorder = getattr(settings, "SLO_SWEEP_RECORDER", "")
    if recorder:
        import_string(recorder)(now=now)


@shared_task(ignore_result=True)
def recompute_clocks_task() -> int:
    """After a calendar, closure day, target or status policy change (queued on commit)."""
    return services.clocks_recompute(at=timezone.now())


@shared_task(ignore_result=True)
def refresh_rollups_task() -> int:
    """Every minute (beat): recompute the SLO report's roll-ups of the months that changed."""
    return rollups.rollups_refresh()


@shared_task(ignore_result=True)
def repair_rollups_task() -> int:
    """Nightly (beat): recompute the last 25 months, whatever changed (a request's priority
    changed after its clocks stopped, rows written by raw SQL)."""
    return rollups.rollups_refresh_recent()
