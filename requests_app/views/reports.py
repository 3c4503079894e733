"""SLO report (/agent/reports/slo/), satisfaction report (/agent/reports/satisfaction/) and
their CSV exports, back office only.

The figures come from ``slo.reports``' aggregate queries, restricted by the one access rule
(the reader's visible requests); the views parse the filters and render.
"""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from requests_app.forms.reports import SatisfactionReportFilterForm
from requests_app.models import SatisfactionScore
from requests_app.selectors import request_list_visible_to
from requests_app.selectors.reports import report_breakdowns
from requests_app.selectors.satisfaction import (
    SatisfactionReport,
    satisfaction_average_chart,
    satisfaction_distribution_chart,
    satisfaction_report,
)
from requests_app.views.agent import AgentPageMixin
from slo.forms import SloReportFilterForm
from slo.reports import compliance_chart, slo_report

# Characters that make a spreadsheet read a cell as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _report_for(request: HttpRequest, form: SloReportFilterForm):
    return slo_report(
        at=timezone.now(), requests=request_list_visible_to(request.user),
        breakdowns=report_breakdowns(), **form.filters()
    )


class SloReportView(AgentPageMixin, View):
    """Compliance per month, priority and organisation, the chart and the median times."""

    template_name = "agent/reports/slo.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SloReportFilterForm(request.GET or None)
        status = 400 if form.is_bound and not form.is_valid() else 200
        report = _report_for(request, form)
        context = {
            **self.agent_context(),
            "section": "reports",
            "form": form,
            "report": report,
            "chart": compliance_chart(report),
            "query_string": form.query_string(),
        }
        return render(request, self.template_name, context, status=status)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _filters_refused(form: forms.Form) -> HttpResponse | None:
    """A CSV export's invalid filters: a 400 that says which (a file would hide it)."""
    if not form.is_bound or form.is_valid():
        return None
    return HttpResponse(
        _("Filtres invalides : %(errors)s")
        % {"errors": "; ".join(str(e) for errors in form.errors.values() for e in errors)},
        status=400, content_type="text/plain; charset=utf-8",
    )


def _csv_download(filename: str) -> tuple[HttpResponse, Any]:
    """A CSV file response (semicolon-separated, UTF-8 with BOM: what spreadsheet programs in
    French-speaking Switzerland open without an import dialog) and its writer."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    return response, csv.writer(response, delimiter=";")


class SloReportCsvView(AgentPageMixin, View):
    """The same figures as a CSV file (semicolon-separated, UTF-8 with BOM: what spreadsheet
    programs in French-speaking Switzerland open without an import dialog)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SloReportFilterForm(request.GET or None)
        refused = _filters_refused(form)
        if refused is not None:
            return refused
        report = _report_for(request, form)
        response, writer = _csv_download(
            f"rapport-slo-{report.start:%Y-%m}-{report.months[-1]:%Y-%m}.csv")
        writer.writerow([
            _("Dimension"), _("Groupe"), _("Compteur"), _("Respectés"), _("Dépassés"),
            _("Total"), _("Taux de respect (%)"), _("Médiane (minutes ouvrées)"),
        ])
        for _name, title, rows in report.sections:
            for row in rows:
                writer.writerow([
                    _cell(title), _cell(row.label), _cell(row.kind_label), row.met, row.breached,
                    row.total, "" if row.share_percent is None else row.share_percent,
                    "" if row.median_seconds is None else round(row.median_seconds / 60),
                ])
        return response


# ------------------------------------------------------------------------ satisfaction

def _satisfaction_for(request: HttpRequest, form: SatisfactionReportFilterForm
                      ) -> SatisfactionReport:
    return satisfaction_report(at=timezone.now(), months=form.months_chosen(),
                               requests=request_list_visible_to(request.user))


class SatisfactionReportView(AgentPageMixin, View):
    """The clients' satisfaction per month, agent and organisation, with its charts."""

    template_name = "agent/reports/satisfaction.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SatisfactionReportFilterForm(request.GET or None)
        status = 400 if form.is_bound and not form.is_valid() else 200
        report = _satisfaction_for(request, form)
        context = {
            **self.agent_context(),
            "section": "satisfaction",
            "form": form,
            "report": report,
            "average_chart": satisfaction_average_chart(report),
            "distribution_chart": satisfaction_distribution_chart(report),
            "scores": SatisfactionScore.choices,
            "query_string": form.query_string(),
        }
        return render(request, self.template_name, context, status=status)


class SatisfactionReportCsvView(AgentPageMixin, View):
    """The same figures as a CSV file, as the SLO report's export writes them."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SatisfactionReportFilterForm(request.GET or None)
        refused = _filters_refused(form)
        if refused is not None:
            return refused
        report = _satisfaction_for(request, form)
        response, writer = _csv_download(
            f"satisfaction-{report.months[0]:%Y-%m}-{report.months[-1]:%Y-%m}.csv")
        writer.writerow([
            _("Dimension"), _("Groupe"), _("Notes"), _("Note moyenne"),
            *(f"{score} — {label}" for score, label in SatisfactionScore.choices),
        ])
        for _name, title, rows in report.sections:
            for row in rows:
                writer.writerow([_cell(title), _cell(row.label), row.total, row.average_csv,
                                 *row.counts])
        return response
