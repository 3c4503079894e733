"""Configuration changes recompute the open clocks, in a task after commit; a deleted
stopped clock puts the report's roll-ups of its month out of date.

Signals, as STYLE.md allows for cross-cutting concerns: the admin, a data migration or a
shell all change these rows, and each change must reach the running clocks (new due and
warning instants, new targets, the status policy). The task is queued once per transaction
by ``slo.services.recompute_schedule``. The roll-ups are a cache of the clocks: a clock is
deleted by ``slo.services.clocks_sync`` (a type no longer subject to the SLO) or, through the
cascade, with its request (the admin, a data fix); the signal sees both.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from slo import rollups
from slo.models import (
    BusinessCalendar,
    ClockState,
    ClosureDay,
    SloClock,
    SloTarget,
    StatusClockPolicy,
    WorkingPeriod,
)


@receiver(post_save, sender=BusinessCalendar, dispatch_uid="slo_recompute_calendar_saved")
@receiver(post_delete, sender=BusinessCalendar, dispatch_uid="slo_recompute_calendar_deleted")
@receiver(post_save, sender=WorkingPeriod, dispatch_uid="slo_recompute_period_saved")
@receiver(post_delete, sender=WorkingPeriod, dispatch_uid="slo_recompute_period_deleted")
@receiver(post_save, sender=ClosureDay, dispatch_uid="slo_recompute_closure_saved")
@receiver(post_delete, sender=ClosureDay, dispatch_uid="slo_recompute_closure_deleted")
@receiver(post_save, sender=SloTarget, dispatch_uid="slo_recompute_target_saved")
@receiver(post_delete, sender=SloTarget, dispatch_uid="slo_recompute_target_deleted")
@receiver(post_save, sender=StatusClockPolicy, dispatch_uid="slo_recompute_policy_saved")
@receiver(post_delete, sender=StatusClockPolicy, dispatch_uid="slo_recompute_policy_deleted")
def _configuration_changed(sender, raw: bool = False, **kwargs) -> None:
    if raw:  # fixtures being loaded: nothing to recompute yet
        return
    from slo.services import recompute_schedule

    recompute_schedule()


@receiver(post_delete, sender=SloClock, dispatch_uid="slo_rollups_clock_deleted")
def _clock_deleted(sender, instance: SloClock, **kwargs) -> None:
    if instance.state in (ClockState.MET, ClockState.BREACHED):
        rollups.rollups_mark(instance.stopped_at)
