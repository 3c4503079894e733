"""Input of "Mon profil" and of the header's language switch: parsed and bounded; which
e-mails may be turned off is ``requests_app.preferences``'s rule, checked again by the
service."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.models import ApiTokenScope
from requests_app.models import NotificationKind
from requests_app.preferences import email_kinds_offered, may_turn_off
from requests_app.services.profile import NAME_MAX_LENGTH


def _language_choices() -> list[tuple[str, str]]:
    from django.utils.translation import get_language_info

    return [(code, get_language_info(code)["name_local"].capitalize())
            for code, _name in settings.LANGUAGES]


class LanguageSwitchForm(forms.Form):
    language = forms.ChoiceField(choices=_language_choices)
    next = forms.CharField(required=False, max_length=2000)


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=NAME_MAX_LENGTH, required=False,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Nom"), max_length=NAME_MAX_LENGTH, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    language = forms.ChoiceField(
        label=_("Langue"), choices=_language_choices,
        help_text=_("Celle du portail et de vos e-mails."))
    emails_on = forms.MultipleChoiceField(
        label=_("E-mails que je reçois"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, back_office: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(NotificationKind.choices)
        self.offered = email_kinds_offered(back_office=back_office)
        field = cast(forms.MultipleChoiceField, self.fields["emails_on"])
        field.choices = [(kind, labels[kind]) for kind in self.offered]
        # Shown ticked and greyed: the form cannot turn them off (a disabled box is not
        # posted, so the cleaning below adds them back).
        self.locked_kinds = [kind for kind in self.offered if not may_turn_off(kind)]

    def name_fields(self) -> list[forms.BoundField]:
        return [self["first_name"], self["last_name"]]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "emails_on" in cleaned:
            on = set(cleaned["emails_on"])
            cleaned["email_kinds_off"] = [kind for kind in self.offered
                                          if kind not in on and may_turn_off(kind)]
        return cleaned


# The furthest expiry a token may be given (a date past it is no expiry worth the name).
API_TOKEN_MAX_DAYS = 3653


class ApiTokenForm(forms.Form):
    """"Créer un jeton" on "Mon profil": a name and a scope (the service checks them too)."""

    name = forms.CharField(
        label=_("Nom du jeton"), max_length=80,
        help_text=_("Pour le reconnaître, par exemple « Intégration ERP »."))
    scope = forms.ChoiceField(label=_("Droits"), widget=forms.RadioSelect,
                              initial=ApiTokenScope.READ, choices=ApiTokenScope.choices)
    expires_on = forms.DateField(
        label=_("Expire le (facultatif)"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Le jeton cesse de fonctionner à la fin de ce jour. Vide : jusqu'à ce "
                    "que vous le révoquiez."))

    def clean_expires_on(self) -> date | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        today = timezone.localdate()
        if day < today:
            raise forms.ValidationError(_("Choisissez aujourd'hui ou un jour à venir."))
        if day > today + timedelta(days=API_TOKEN_MAX_DAYS):
            raise forms.ValidationError(_("Au plus dix ans : laissez vide pour un jeton sans "
                                          "échéance."))
        return day

    def expires_at(self) -> datetime | None:
        """The end of the chosen day in the portal's time zone (the next midnight)."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        midnight = datetime.combine(day + timedelta(days=1), time.min)
        return timezone.make_aware(midnight, timezone.get_default_timezone())
