from django.contrib import admin
from django.urls import include, path

from requests_app.views import common

urlpatterns = [
    path("", common.home, name="home"),
    path("healthz", common.healthz, name="healthz"),
    path("accounts/login/", common.RateLimitedLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("attachments/<str:token>/", common.attachment_download, name="attachment"),
    path("portal/", include("requests_app.urls.portal")),
    path("agent/reports/", include("requests_app.urls.reports")),
    path("agent/", include("requests_app.urls.agent")),
    path("admin/", admin.site.urls),
]

handler404 = "requests_app.views.common.page_not_found"
handler403 = "requests_app.views.common.permission_denied"
