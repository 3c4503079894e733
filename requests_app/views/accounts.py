"""A person's own pages: the second factor (enrol an authenticator, see the recovery codes
once, give a code after the password: each view calls one function of
``requests_app.two_factor``, where the rules live), "Mon profil" and the language switch."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from api import services as api_tokens
from api.selectors import api_token_get_for_owner, api_token_list_for_owner
from requests_app import permissions, two_factor
from requests_app.exceptions import InvalidInput, RequestNotFound
from requests_app.forms.profile import ApiTokenForm, LanguageSwitchForm, ProfileForm
from requests_app.forms.two_factor import EnrolmentConfirmForm, VerificationForm
from requests_app.middleware import language_cookie_set
from requests_app.preferences import email_kinds_offered
from requests_app.selectors import request_get_for_user
from requests_app.selectors.profile import muted_request_list
from requests_app.services import notifications_mute_set
from requests_app.services.profile import profile_language_set, profile_update
from requests_app.views.mixins import AuthenticatedHttpRequest, VerifiedLoginRequiredMixin

# A token just created: its plain value, for the one page that shows it.
NEW_API_TOKEN_SESSION = "spt_api_token_new"


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


class LanguageSwitchView(View):
    """The header's language switch (POST ``language``, ``next``): for everyone, a cookie;
    for a signed-in person also their profile, so the next session and their e-mails speak
    it (``UserLanguageMiddleware`` keeps the cookie in step)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LanguageSwitchForm(request.POST)
        if not form.is_valid():
            return render(request, "partials/error_page.html", {
                "error": InvalidInput(_("Cette langue n'est pas proposée."))}, status=400)
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            profile_language_set(user=request.user, language=language)
        translation.activate(language)
        response = HttpResponseRedirect(safe_next(request) or reverse("home"))
        language_cookie_set(response, language)
        return response


class ProfileView(VerifiedLoginRequiredMixin, View):
    """``/accounts/profile/``, "Mon profil": name, language, the e-mails one gets, the
    requests one muted (each can be turned back on), and one's API tokens (created, the value
    shown once, revoked: ``api.services``)."""

    request: AuthenticatedHttpRequest

    def _form(self, data: Any = None) -> ProfileForm:
        user = self.request.user
        profile = getattr(user, "profile", None)
        off = set(profile.email_kinds_off or ()) if profile is not None else set()
        back_office = permissions.is_back_office(user)
        initial = {
            "first_name": user.first_name, "last_name": user.last_name,
            "language": (profile.language if profile is not None else "")
            or translation.get_language(),
            "emails_on": [kind for kind in email_kinds_offered(back_office=back_office)
                          if kind not in off],
        }
        return ProfileForm(data, initial=initial, back_office=back_office)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(self._form())

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("action") == "unmute":
            return self.unmute(request)
        if request.POST.get("action") == "api_token_create":
            return self.api_token_create(request)
        if request.POST.get("action") == "api_token_revoke":
            return self.api_token_revoke(request)
        form = self._form(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)
        data = form.cleaned_data
        try:
            profile_update(user=self.request.user, first_name=data["first_name"],
                           last_name=data["last_name"], language=data["language"],
                           email_kinds_off=data["email_kinds_off"])
        except InvalidInput as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return self.render_page(form, status=400)
        translation.activate(data["language"])
        messages.success(request, _("Votre profil est enregistré."))
        response = redirect("profile")
        language_cookie_set(response, data["language"])
        return response

    def unmute(self, request: HttpRequest) -> HttpResponse:
        """"Réactiver" beside a muted request: the request must still be visible (else the
        same 404 as its page)."""
        try:
            target = request_get_for_user(self.request.user, request.POST.get("request", ""))
        except RequestNotFound as error:
            raise Http404 from error
        notifications_mute_set(actor=self.request.user, request=target, muted=False)
        messages.success(request, _("Les notifications de %(key)s sont réactivées.")
                         % {"key": target.key})
        return redirect(reverse("profile") + "#notifications-coupees")

    def api_token_create(self, request: HttpRequest) -> HttpResponse:
        """"Créer le jeton": its plain value goes through the session to the next page,
        which shows it once and forgets it."""
        token_form = ApiTokenForm(request.POST)
        if not token_form.is_valid():
            return self.render_page(self._form(), token_form=token_form, status=400)
        try:
            token, plain = api_tokens.api_token_create(
                owner=self.request.user, name=token_form.cleaned_data["name"],
                scope=token_form.cleaned_data["scope"], expires_at=token_form.expires_at())
        except InvalidInput as error:
            field = "expires_on" if error.field == "expires_at" else error.field
            token_form.add_error(field if field in token_form.fields else None, error.message)
            return self.render_page(self._form(), token_form=token_form, status=400)
        request.session[NEW_API_TOKEN_SESSION] = {"id": token.pk, "value": plain}
        return redirect(reverse("profile") + "#jetons-api")

    def api_token_revoke(self, request: HttpRequest) -> HttpResponse:
        """"Révoquer" beside one of one's tokens (another person's is unknown here)."""
        try:
            token = api_token_get_for_owner(self.request.user, request.POST.get("token"))
        except InvalidInput as error:
            raise Http404 from error
        api_tokens.api_token_revoke(actor=self.request.user, token=token)
        messages.success(request, _("Le jeton « %(name)s » est révoqué : il ne donne plus "
                                    "accès à l'API.") % {"name": token.name})
        return redirect(reverse("profile") + "#jetons-api")

    def render_page(self, form: ProfileForm, *, status: int = 200,
                    token_form: ApiTokenForm | None = None) -> HttpResponse:
        user = self.request.user
        # Shown once: read from the session and forgotten there in the same step.
        new_token = self.request.session.pop(NEW_API_TOKEN_SESSION, None)
        return render(self.request, "registration/profile.html", {
            "form": form, "muted": muted_request_list(user),
            "back_office": permissions.is_back_office(user),
            "api_tokens": api_token_list_for_owner(user),
            "api_token_form": token_form or ApiTokenForm(),
            "new_api_token": new_token if isinstance(new_token, dict) else None,
        }, status=status)
