"""A person's own settings ("Mon profil"): name, language, which e-mails they get."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from requests_app.exceptions import InvalidInput
from requests_app.models import Profile
from requests_app.permissions import is_back_office
from requests_app.preferences import email_kinds_offered, may_turn_off

NAME_MAX_LENGTH = 150  # auth.User's first_name and last_name


def _language_checked(language: str) -> str:
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise InvalidInput(_("Cette langue n'est pas proposée."), field="language")
    return language


def profile_language_set(*, user: User, language: str) -> None:
    """The language switch of a signed-in person: kept on their profile, so the next
    session and their e-mails speak it."""
    language = _language_checked(language)
    with transaction.atomic():
        profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
        if profile.language != language:
            profile.language = language
            profile.save(update_fields=["language"])
    user.profile = profile


def profile_update(
    *, user: User, first_name: str, last_name: str, language: str,
    email_kinds_off: Iterable[str],
) -> None:
    """"Mon profil" saved: the name others read, the language, the e-mails turned off (only
    kinds this person can receive and may turn off; the confirmation request stays on)."""
    first_name, last_name = first_name.strip(), last_name.strip()
    if not (first_name or last_name):
        raise InvalidInput(_("Indiquez au moins un prénom ou un nom."), field="last_name")
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if len(value) > NAME_MAX_LENGTH:
            raise InvalidInput(
                _("%(count)d caractères au plus.") % {"count": NAME_MAX_LENGTH}, field=field)
    language = _language_checked(language)
    offered = set(email_kinds_offered(back_office=is_back_office(user)))
    off = set(email_kinds_off)
    if not off <= offered or not all(may_turn_off(kind) for kind in off):
        raise InvalidInput(_("Cet e-mail ne peut pas être désactivé."), field="email_kinds_off")
    with transaction.atomic():
        # Saved through the model: the per-process directory of names hears of it.
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
        profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
        profile.language = language
        profile.email_kinds_off = sorted(off)
        profile.save(update_fields=["language", "email_kinds_off"])
    user.profile = profile
