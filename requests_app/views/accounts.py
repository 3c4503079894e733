"""The second factor's pages: enrol an authenticator, see the recovery codes once, and give a
code after the password. Each view parses its input and calls one function of
``requests_app.two_factor``, where the rules live."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from requests_app import two_factor
from requests_app.exceptions import InvalidInput
from requests_app.forms.two_factor import EnrolmentConfirmForm, VerificationForm
from requests_app.views.mixins import AuthenticatedHttpRequest


def safe_next(request: HttpRequest) -> str:
    """The ``next`` of the query or the form when it stays on this site, else ""."""
    value = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return value
    return ""


class TwoFactorView(LoginRequiredMixin, View):
    """``/accounts/two-factor/``: the state of one's second factor, or the enrolment of an
    authenticator (the first one, or a replacement with ``?replace=1``)."""

    request: AuthenticatedHttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and (
            two_factor.second_factor_step(request.user) is two_factor.Step.VERIFY
        ):
            # Knowing the password is not enough to replace a device.
            return redirect(two_factor.step_url(two_factor.Step.VERIFY, safe_next(request)))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if two_factor.has_authenticator(self.request.user) and not request.GET.get("replace"):
            return self.render_status()
        return self.render_enrolment(EnrolmentConfirmForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("action") == "disable":
            try:
                two_factor.two_factor_disable(user=self.request.user)
            except InvalidInput as error:
                messages.error(request, error.message)
                return self.render_status(status=400)
            messages.success(request, _("La double authentification est désactivée."))
            return redirect("two_factor")
        form = EnrolmentConfirmForm(request.POST)
        if not form.is_valid():
            return self.render_enrolment(form, status=400)
        try:
            device, codes = two_factor.two_factor_enrol(
                user=self.request.user, key=two_factor.pending_key(request.session),
                code=form.cleaned_data["code"],
            )
        except InvalidInput as error:
            form.add_error("code", error.message)
            return self.render_enrolment(form, status=400)
        request.session.pop(two_factor.PENDING_KEY_SESSION, None)
        two_factor.session_mark_verified(request, device)
        request.session[two_factor.NEW_CODES_SESSION] = codes
        messages.success(request, _("La double authentification est activée."))
        return HttpResponseRedirect(
            two_factor.url_with_next(reverse("two_factor_recovery_codes"), safe_next(request)))

    def render_enrolment(self, form: EnrolmentConfirmForm, *, status: int = 200) -> HttpResponse:
        device = two_factor.pending_device(
            user=self.request.user, key=two_factor.pending_key(self.request.session))
        return render(self.request, "registration/two_factor_enrol.html", {
            "form": form, "qr_svg": two_factor.qr_svg(device),
            "secret": two_factor.base32_secret(device), "next": safe_next(self.request),
            "required": two_factor.second_factor_required(self.request.user),
            "replacing": two_factor.has_authenticator(self.request.user),
        }, status=status)

    def render_status(self, *, status: int = 200) -> HttpResponse:
        return render(self.request, "registration/two_factor_status.html", {
            "required": two_factor.second_factor_required(self.request.user),
            "codes_left": two_factor.recovery_codes_left(self.request.user),
        }, status=status)


class RecoveryCodesView(LoginRequiredMixin, View):
    """``/accounts/two-factor/recovery-codes/``: the new codes, shown once; a POST renews
    them."""

    request: AuthenticatedHttpRequest

    def get(self, request: HttpRequest) -> HttpResponse:
        if not two_factor.has_authenticator(self.request.user):
            return redirect("two_factor")
        codes = request.session.pop(two_factor.NEW_CODES_SESSION, None)
        return render(request, "registration/two_factor_recovery_codes.html", {
            "codes": codes, "next": safe_next(request) or reverse("home"),
            "codes_left": two_factor.recovery_codes_left(self.request.user),
        })

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            codes = two_factor.recovery_codes_renew(user=self.request.user)
        except InvalidInput as error:
            messages.error(request, error.message)
            return redirect("two_factor")
        request.session[two_factor.NEW_CODES_SESSION] = codes
        return redirect("two_factor_recovery_codes")


class VerifyView(LoginRequiredMixin, View):
    """``/accounts/two-factor/verify/``: the code asked after the password."""

    request: AuthenticatedHttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated:
            step = two_factor.second_factor_step(request.user)
            if step is two_factor.Step.ENROL:
                return redirect(two_factor.step_url(step, safe_next(request)))
            if step is two_factor.Step.NONE:
                return redirect(safe_next(request) or "home")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_form(VerificationForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = VerificationForm(request.POST)
        if not form.is_valid():
            return self.render_form(form, status=400)
        try:
            device = two_factor.two_factor_verify(user=self.request.user,
                                                  code=form.cleaned_data["code"])
        except two_factor.SecondFactorThrottled as error:
            response = self.render_form(form, status=error.status, throttled=error.message)
            response["Retry-After"] = str(error.retry_after)
            return response
        except InvalidInput as error:
            form.add_error("code", error.message)
            return self.render_form(form, status=400)
        two_factor.session_mark_verified(request, device)
        return redirect(safe_next(request) or "home")

    def render_form(self, form: VerificationForm, *, status: int = 200,
                    throttled: str = "") -> HttpResponse:
        return render(self.request, "registration/two_factor_verify.html", {
            "form": form, "next": safe_next(self.request), "throttled": throttled,
        }, status=status)
