"""Back-office reports, namespace ``reports:`` under /agent/reports/."""

from django.urls import path

from requests_app.views import reports

app_name = "reports"

urlpatterns = [
    path("slo/", reports.SloReportView.as_view(), name="slo"),
    path("slo/export.csv", reports.SloReportCsvView.as_view(), name="slo_csv"),
    path("satisfaction/", reports.SatisfactionReportView.as_view(), name="satisfaction"),
    path("satisfaction/export.csv", reports.SatisfactionReportCsvView.as_view(),
         name="satisfaction_csv"),
]
