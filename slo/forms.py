"""The SLO report's filters (GET): period in months and clock."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from slo import engine
from slo.models import ClockKind
from slo.reports import DEFAULT_MONTHS, PERIOD_CHOICES


class ReportPeriodForm(forms.Form):
    """A report's period, in months back from the current one (the SLO report's and the
    others' alike)."""

    months = forms.TypedChoiceField(
        label=_("Période"),
        choices=lambda: [
            (str(count), ngettext("Le mois en cours", "Les %(count)d derniers mois", count)
             % {"count": count})
            for count in PERIOD_CHOICES
        ],
        coerce=int,
        initial=str(DEFAULT_MONTHS),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if data is not None and not data.get("months"):
            data = data.copy()
            data["months"] = str(DEFAULT_MONTHS)  # shown selected, as it is applied
        super().__init__(data, *args, **kwargs)

    def months_chosen(self) -> int:
        """The period from valid data, the default otherwise."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return data.get("months") or DEFAULT_MONTHS


class SloReportFilterForm(ReportPeriodForm):
    clock = forms.ChoiceField(
        label=_("Compteur"),
        choices=[("", _("Les deux compteurs")), *ClockKind.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def filters(self) -> dict:
        """``{"months": int, "kinds": [...]}`` from valid data, defaults otherwise."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        clock = data.get("clock") or ""
        return {
            "months": self.months_chosen(),
            "kinds": [clock] if clock else list(engine.CLOCK_KINDS),
        }

    def query_string(self) -> str:
        """The filters as a query string (for the CSV link), from valid data only."""
        values = self.filters()
        parts = [f"months={values['months']}"]
        if len(values["kinds"]) == 1:
            parts.append(f"clock={values['kinds'][0]}")
        return "&".join(parts)
