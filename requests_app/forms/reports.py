"""The back-office reports' filters (GET) besides the SLO report's (``slo.forms``)."""

from __future__ import annotations

from slo.forms import ReportPeriodForm


class SatisfactionReportFilterForm(ReportPeriodForm):
    def query_string(self) -> str:
        """The filters as a query string (for the CSV link), from valid data only."""
        return f"months={self.months_chosen()}"
