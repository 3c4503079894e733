"""The password reset request ("Mot de passe oublié"): Django's page and form, the e-mail
through the outbox (``services.accounts``), limited per address and per client.

Whatever address is given, a valid form gets the same answer — the redirect to "Vérifiez votre
messagerie" — no sooner than ``settings.PASSWORD_RESET_MIN_SECONDS`` after it arrived: neither
the page nor its time tells whether the address has an account. Past the rate for one address
(normalised, so that spellings count together) the answer is the same and nothing is sent;
past the rate for one client address, a 429 page says to wait.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django_ratelimit.core import is_ratelimited

from requests_app.services.accounts import account_password_reset_request, email_address_normalise


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        arrived = time.monotonic()
        if is_ratelimited(request=request, group="spt-password-reset-client", key="ip",
                          rate=settings.PASSWORD_RESET_RATES["client"], method="POST",
                          increment=True):
            # About the client, not the address: saying so tells nothing about accounts.
            return render(request, self.template_name,
                          {"form": PasswordResetForm(), "rate_limited": True}, status=429)
        response = super().post(request, *args, **kwargs)
        # The floor hides how long the work took (a row written and published, or not).
        remaining = settings.PASSWORD_RESET_MIN_SECONDS - (time.monotonic() - arrived)
        if remaining > 0:
            time.sleep(remaining)
        return response

    def form_invalid(self, form: PasswordResetForm) -> HttpResponse:
        # Not an address at all: the form again, with its error, as every invalid form is.
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        address = form.cleaned_data["email"]
        limited = is_ratelimited(
            request=self.request, group="spt-password-reset-address",
            key=lambda _group, _request: email_address_normalise(address),
            rate=settings.PASSWORD_RESET_RATES["address"], method="POST", increment=True,
        )
        if not limited:
            account_password_reset_request(
                address=address,
                # The host was checked against ALLOWED_HOSTS: the link leads where the person
                # asked from.
                base_url=f"{self.request.scheme}://{self.request.get_host()}",
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
        return HttpResponseRedirect(self.get_success_url())
