"""SLO report (/agent/reports/slo/): figures come from slo.selectors' aggregate queries."""

from django.views.generic import TemplateView

from requests_app.views.mixins import BackOfficeRequiredMixin


class SloReportView(BackOfficeRequiredMixin, TemplateView):
    template_name = "agent/reports/slo.html"
