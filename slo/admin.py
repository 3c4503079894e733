"""SLO configuration in the Django admin: calendars (with their working periods and closure
days), the status clock policy and the targets, shown and entered as "4 h", "30 min".

Thin, as STYLE.md wants: validation lives in the models (and, for a calendar's periods taken
together, in the inline formset); cache invalidation follows from the models' signals.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from portal.admin_input import AdminInputMixin
from slo.calendar import swiss_public_holidays
from slo.durations import business_duration_format, business_duration_parse
from slo.models import (
    BusinessCalendar,
    ClosureDay,
    SloClock,
    SloTarget,
    StatusClockPolicy,
    Weekday,
    WorkingPeriod,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class WorkingPeriodForm(forms.ModelForm):
    class Meta:
        model = WorkingPeriod
        fields = ("weekday", "start", "end")

    def clean(self):
        cleaned = super().clean()
        # The formset compares all rows of the submission with each other (see below).
        self.instance.checked_with_siblings = True
        return cleaned


class WorkingPeriodFormSet(BaseInlineFormSet):
    """Refuses overlapping periods on a weekday, judged on the submitted rows together."""

    def clean(self) -> None:
        super().clean()
        by_weekday: dict[int, list[tuple]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            if None in (data.get("weekday"), data.get("start"), data.get("end")):
                continue  # an incomplete row already carries its own error
            by_weekday.setdefault(data["weekday"], []).append((data["start"], data["end"]))
        for weekday, spans in sorted(by_weekday.items()):
            spans.sort()
            for (_start, previous_end), (start, end) in zip(spans, spans[1:], strict=False):
                if start < previous_end:
                    raise ValidationError(
                        _("%(day)s : les plages %(a)s et %(b)s se chevauchent."),
                        code="overlap",
                        params={
                            "day": Weekday(weekday).label,
                            "a": f"{_start:%H:%M}–{previous_end:%H:%M}",
                            "b": f"{start:%H:%M}–{end:%H:%M}",
                        },
                    )


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    form = WorkingPeriodForm
    formset = WorkingPeriodFormSet
    extra = 0


class ClosureDayInline(admin.TabularInline):
    model = ClosureDay
    fields = ("date", "label")
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ("name", "time_zone", "holidays_source", "weekly_hours", "is_default")
    fields = ("name", "time_zone", "canton", "is_default", "public_holidays", "updated_at")
    readonly_fields = ("public_holidays", "updated_at")
    inlines = [WorkingPeriodInline, ClosureDayInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("working_periods")

    @admin.display(description=_("jours fériés"))
    def holidays_source(self, calendar: BusinessCalendar) -> StrOrPromise:
        return calendar.get_canton_display() if calendar.canton else _("fédéraux")

    @admin.display(description=_("heures par semaine"))
    def weekly_hours(self, calendar: BusinessCalendar) -> str:
        seconds = sum(
            (period.end.hour * 3600 + period.end.minute * 60)
            - (period.start.hour * 3600 + period.start.minute * 60)
            for period in calendar.working_periods.all()
        )
        return business_duration_format(seconds)

    @admin.display(description=_("jours fériés officiels (cette année et la suivante)"))
    def public_holidays(self, calendar: BusinessCalendar | None) -> str:
        """What the `holidays` package closes, so the administrator sees what to add."""
        if calendar is None or calendar.pk is None:
            return "—"
        year = timezone.localdate().year
        days: list[date] = sorted(
            swiss_public_holidays(year, calendar.canton or None)
            | swiss_public_holidays(year + 1, calendar.canton or None)
        )
        return format_html_join(", ", "{}", ((f"{day:%d.%m.%Y}",) for day in days))


@admin.register(StatusClockPolicy)
class StatusClockPolicyAdmin(AdminInputMixin, admin.ModelAdmin):
    list_display = ("status", "clock_action")
    list_editable = ("clock_action",)


class BusinessDurationField(forms.CharField):
    """Business seconds entered and shown as "4 h", "30 min", "1 h 30"."""

    def prepare_value(self, value):
        if isinstance(value, int):
            return business_duration_format(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return business_duration_parse(value)
        except ValueError as exc:
            raise ValidationError(
                _("Durée illisible : écrivez par exemple « 30 min », « 4 h » ou « 1 h 30 »."),
                code="invalid_duration",
            ) from exc


class SloTargetForm(forms.ModelForm):
    target_seconds = BusinessDurationField(
        label=_("objectif (temps ouvré)"),
        help_text=_("Par exemple « 30 min », « 4 h », « 1 h 30 ». Compté en heures ouvrées."),
    )

    class Meta:
        model = SloTarget
        fields = ("priority", "clock", "target_seconds", "warning_ratio")


@admin.register(SloTarget)
class SloTargetAdmin(AdminInputMixin, admin.ModelAdmin):
    form = SloTargetForm
    list_display = ("priority", "clock", "target", "warning")
    list_filter = ("clock",)
    list_select_related = ("priority",)

    @admin.display(description=_("objectif (temps ouvré)"), ordering="target_seconds")
    def target(self, target: SloTarget) -> str:
        return business_duration_format(target.target_seconds)

    @admin.display(description=_("alerte"))
    def warning(self, target: SloTarget) -> str:
        return _("%(percent)s %% (après %(after)s)") % {
            "percent": int(target.warning_ratio * 100),
            "after": business_duration_format(target.warning_seconds),
        }


@admin.register(SloClock)
class SloClockAdmin(AdminInputMixin, admin.ModelAdmin):
    """Read-only: clocks change only through the request services and the sweep; the admin
    shows them to explain a figure (what was consumed, when it is due, what was recorded)."""

    list_display = ("request", "kind", "state", "target", "consumed", "due_at", "warned_at",
                    "breached_at")
    list_filter = ("kind", "state")
    list_select_related = ("request",)
    search_fields = ("request__number",)
    ordering = ("-pk",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("objectif (temps ouvré)"), ordering="target_seconds")
    def target(self, clock: SloClock) -> str:
        return business_duration_format(clock.target_seconds)

    @admin.display(description=_("consommé (temps ouvré)"), ordering="consumed_seconds")
    def consumed(self, clock: SloClock) -> str:
        return business_duration_format(clock.consumed_seconds)
