"""Back-office reports, namespace ``reports:`` under /agent/reports/."""

from django.urls import path

from requests_app.views import reports

app_name = "reports"

urlpatterns = [
    path("slo/", reports.SloReportView.as_view(), name="slo"),
    path("slo/export.csv", reports.SloReportCsvView.as_view(), name="slo_csv"),
]
