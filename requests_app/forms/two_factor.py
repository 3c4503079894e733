"""Input of the two-factor pages: a code, parsed and bounded; checking it is the service's."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app import two_factor


class _CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=32, strip=True,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false",
            "autofocus": True,
        }),
    )


class EnrolmentConfirmForm(_CodeForm):
    """The six digits the new authenticator shows."""

    def clean_code(self) -> str:
        code = two_factor.code_normalise(self.cleaned_data["code"])
        if not two_factor.TOTP_CODE.fullmatch(code):
            raise forms.ValidationError(
                _("Saisissez les 6 chiffres affichés par votre application."), code="shape")
        return code


class VerificationForm(_CodeForm):
    """Six digits from the authenticator, or one of the recovery codes."""

    def clean_code(self) -> str:
        code = two_factor.code_normalise(self.cleaned_data["code"])
        if not two_factor.is_code_shaped(code):
            raise forms.ValidationError(
                _("Saisissez les 6 chiffres de votre application, ou un code de secours "
                  "(8 caractères)."), code="shape")
        return code
