"""SLO report (/agent/reports/slo/) and its CSV export, back office only.

The figures come from ``slo.reports``' aggregate queries, restricted by the one access rule
(the reader's visible requests); the views parse the filters and render.
"""

from __future__ import annotations

import csv
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from requests_app.selectors import request_list_visible_to
from requests_app.selectors.reports import report_breakdowns
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


class SloReportCsvView(AgentPageMixin, View):
    """The same figures as a CSV file (semicolon-separated, UTF-8 with BOM: what spreadsheet
    programs in French-speaking Switzerland open without an import dialog)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SloReportFilterForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            return HttpResponse(
                _("Filtres invalides : %(errors)s")
                % {"errors": "; ".join(str(e) for errors in form.errors.values() for e in errors)},
                status=400, content_type="text/plain; charset=utf-8",
            )
        report = _report_for(request, form)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="rapport-slo-{report.start:%Y-%m}-{report.months[-1]:%Y-%m}.csv"'
        )
        response.write("\ufeff")
        writer = csv.writer(response, delimiter=";")
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
