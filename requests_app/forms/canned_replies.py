"""Input of the canned replies' pages (/agent/canned-replies/) and of the insert control:
parsed and bounded here; the rules (French required, each language title and text together,
known placeholders, who writes the shared replies) are the service's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from requests_app.canned_replies import (
    LANGUAGES,
    REFERENCE_LANGUAGE,
    TITLE_MAX_LENGTH,
    CannedReplyTexts,
    canned_reply_texts_check,
)
from requests_app.exceptions import InvalidInput
from requests_app.models import CannedReply
from requests_app.permissions import BACK_OFFICE_ROLES
from requests_app.selectors.canned_replies import Scope

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()

# The database's integer: a revision beyond it is no revision of ours.
_REVISION_MAX = 2_147_483_647
SEARCH_MAX_LENGTH = 100

_LABELS = {
    "fr": (_("Titre en français"), _("Texte en français")),
    "de": (_("Titre en allemand"), _("Texte en allemand")),
    "en": (_("Titre en anglais"), _("Texte en anglais")),
}


class CannedReplyForm(forms.Form):
    """A reply's texts per language, whether it is shared, and (when it is edited) the
    revision the page showed. ``shared`` is offered only to those who write shared replies."""

    shared = forms.BooleanField(
        label=_("Partagée avec tout le back office"), required=False,
        help_text=_("Sinon, elle est personnelle : vous seul la voyez et l'insérez."),
    )
    revision = forms.IntegerField(min_value=1, max_value=_REVISION_MAX,
                                  widget=forms.HiddenInput)

    def __init__(self, *args: Any, may_share: bool, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code in LANGUAGES:
            title_label, body_label = _LABELS.get(code, (code, code))
            required = code == REFERENCE_LANGUAGE
            # What is typed there is in that language (spell checkers, screen readers).
            self.fields[f"title_{code}"] = forms.CharField(
                label=title_label, required=required, max_length=TITLE_MAX_LENGTH, strip=True,
                widget=forms.TextInput(attrs={"lang": code}))
            self.fields[f"body_{code}"] = forms.CharField(
                label=body_label, required=required, strip=True,
                max_length=settings.COMMENT_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 6 if required else 4, "lang": code}))
        if not may_share:
            del self.fields["shared"]
        if not editing:
            del self.fields["revision"]

    def language_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """Each language's code, title field and body field, French first."""
        return [(code, self[f"title_{code}"], self[f"body_{code}"]) for code in LANGUAGES]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "titles": {code: data.get(f"title_{code}") or "" for code in LANGUAGES},
            "bodies": {code: data.get(f"body_{code}") or "" for code in LANGUAGES},
            "shared": bool(data.get("shared")),
        }


class CannedReplyDeleteForm(forms.Form):
    revision = forms.IntegerField(min_value=1, max_value=_REVISION_MAX,
                                  widget=forms.HiddenInput)


class CannedReplyFilterForm(forms.Form):
    """The management page's search (GET): words, and whose replies."""

    q = forms.CharField(label=_("Rechercher"), required=False, max_length=SEARCH_MAX_LENGTH,
                        help_text=_("Mots du titre ou du texte, dans l'une des trois langues."))
    scope = forms.ChoiceField(label=_("Réponses"), required=False, choices=[
        (Scope.ALL, _("Toutes")), (Scope.MINE, _("Mes réponses personnelles")),
        (Scope.SHARED, _("Partagées avec le back office")),
    ])

    def filters(self) -> dict[str, str]:
        """The selector's keyword arguments; nothing filtered when the input is invalid."""
        if not self.is_bound or not self.is_valid():
            return {"text": "", "scope": Scope.ALL}
        return {"text": self.cleaned_data["q"], "scope": self.cleaned_data["scope"]}

    @property
    def active(self) -> bool:
        return self.is_bound and self.is_valid() and bool(
            self.cleaned_data["q"] or self.cleaned_data["scope"])


class CannedReplyPickForm(forms.Form):
    """The insert control's search (GET, as the agent types), and which control asks (the
    ids of its list's elements are made from it)."""

    q = forms.CharField(required=False, max_length=SEARCH_MAX_LENGTH)
    picker = forms.RegexField(regex=r"^[A-Za-z][A-Za-z0-9_-]{0,79}$", required=False)

    def picker_id(self) -> str:
        if self.is_valid() and self.cleaned_data["picker"]:
            return str(self.cleaned_data["picker"])
        return "canned"


class CannedReplyAdminForm(forms.ModelForm):
    """The Django admin's form of a reply: the texts held to the service's rules
    (``canned_replies.canned_reply_texts_check``, whose cleaned texts ``texts`` keeps for the
    save), and an owner from the back office (none: shared)."""

    texts: CannedReplyTexts

    class Meta:
        model = CannedReply
        # The translated columns (modeltranslation's, there once the app is ready).
        fields = ["owner", *(f"{name}_{code}" for name in ("title", "body")
                             for code in LANGUAGES)]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields.get("owner")
        if isinstance(owner, forms.ModelChoiceField):
            owner.queryset = User.objects.filter(
                Q(groups__name__in=BACK_OFFICE_ROLES) | Q(is_superuser=True)
            ).distinct().order_by("last_name", "first_name", "username")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            self.texts = canned_reply_texts_check(
                titles={code: data.get(f"title_{code}") or "" for code in LANGUAGES},
                bodies={code: data.get(f"body_{code}") or "" for code in LANGUAGES},
                body_max_length=settings.COMMENT_MAX_LENGTH)
        except InvalidInput as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return data
