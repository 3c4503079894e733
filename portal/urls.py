from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from portal import metrics
from requests_app.views import accounts, common, password_reset

urlpatterns = [
    path("", common.home, name="home"),
    path("healthz", common.healthz, name="healthz"),
    # For the monitoring system only (portal/metrics.py says who may read it).
    path("metrics", metrics.metrics, name="metrics"),
    path("accounts/login/", common.RateLimitedLoginView.as_view(), name="login"),
    path("accounts/two-factor/", accounts.TwoFactorView.as_view(), name="two_factor"),
    path("accounts/two-factor/verify/", accounts.VerifyView.as_view(), name="two_factor_verify"),
    path("accounts/two-factor/recovery-codes/", accounts.RecoveryCodesView.as_view(),
         name="two_factor_recovery_codes"),
    # Before Django's own: the reset e-mail goes through the outbox, with rate limits.
    path("accounts/password_reset/", password_reset.PasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Single sign-on (OpenID Connect): answers 404 unless configured (requests_app/sso.py).
    path("oidc/", include("mozilla_django_oidc.urls")),
    # The header's language switch, at Django's address, keeping the choice on the profile.
    path("i18n/setlang/", accounts.LanguageSwitchView.as_view(), name="set_language"),
    path("accounts/profile/", accounts.ProfileView.as_view(), name="profile"),
    path("attachments/<str:token>/", common.attachment_download, name="attachment"),
    path("attachments/<str:token>/preview/", common.attachment_preview,
         name="attachment_preview"),
    path("api/", include("api.urls")),
    path("portal/", include("requests_app.urls.portal")),
    path("agent/reports/", include("requests_app.urls.reports")),
    path("agent/", include("requests_app.urls.agent")),
    # One sign-in form for everyone: the admin's login page sends to the portal's (and its
    # login protection), keeping ?next=.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
]

handler400 = "requests_app.views.common.bad_request"
handler404 = "requests_app.views.common.page_not_found"
handler403 = "requests_app.views.common.permission_denied"
