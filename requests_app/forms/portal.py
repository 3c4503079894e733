"""Input of the customer pages: parsing and field-level validation only. Every form hands its
cleaned data to one service; the business rules (who may open what, closed requests, who may
answer a confirmation) are the services' to enforce."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from requests_app import services
from requests_app.exceptions import InvalidInput
from requests_app.forms.fields import (
    BoundedModelChoiceField,
    EvaluatedChoiceIterator,
    ReferenceChoiceField,
)
from requests_app.forms.widgets import QuickSelect
from requests_app.models import (
    Environment,
    ErpModule,
    PendingUpload,
    Priority,
    RequestType,
    SatisfactionScore,
)
from requests_app.people import person_name
from requests_app.selectors import portal as portal_selectors
from requests_app.selectors.reference import reference_rows
from requests_app.selectors.uploads import pending_upload_list_for_owner
from requests_app.services.attachments import KeptUpload
from requests_app.services.satisfaction import SATISFACTION_COMMENT_MAX_LENGTH
from requests_app.workflow import RequestStatus

# --- attachments ---------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    """``<input type=file multiple>``: Django refuses ``multiple`` on a plain FileInput."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files at once, checked against the portal's limits (count, size, type) by
    ``services.attachments_validate`` so that the form and the services say the same thing."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        # Empty files are refused by attachments_validate, with the file's name.
        kwargs.setdefault("allow_empty_file", True)
        kwargs.setdefault("label", _("Pièces jointes"))
        # Lazy: rendered in the language of the person reading the form, not of start-up.
        kwargs.setdefault("help_text", lazy(attachments_help_text, str)())
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ",".join(
            f".{ext.lower().lstrip('.')}" for ext in settings.ATTACHMENT_ALLOWED_EXTENSIONS
        ))
        # What static/js/spt.js needs to draw a drop zone around the input (the input itself
        # stays, for the keyboard and screen readers): its texts and the limits.
        for name, value in {
            "data-dropzone": _("Déposez vos fichiers ici, ou choisissez-les avec le bouton."),
            "data-dropzone-chosen": _("Fichiers choisis :"),
            "data-dropzone-remove": _("Retirer"),
            "data-dropzone-refused": _("sera refusé : trop volumineux ou type non accepté"),
            "data-max-bytes": settings.ATTACHMENT_MAX_BYTES,
        }.items():
            self.widget.attrs.setdefault(name, value)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        uploads = data if isinstance(data, list | tuple) else [data]
        files = [single(upload, initial) for upload in uploads if upload]
        try:
            return services.attachments_validate(files)
        except InvalidInput as error:
            raise forms.ValidationError(error.message, code="attachments") from error


# A pending upload's token: ``secrets.token_hex(16)``.
_PENDING_TOKEN = re.compile(r"[0-9a-f]{32}", re.ASCII)
KEPT_FIELD = "kept_attachments"
# More tokens than this in one post is not a form's doing: the rest are not looked up.
_KEPT_LOOKUP_MAX = 50


class KeptAttachmentsField(forms.MultipleChoiceField):
    """The files kept from a form sent back with an error, each a checked box: unchecked, it
    is not attached. A token the uploader does not own is not a choice; the form says that a
    file is no longer available rather than that the choice is invalid."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Fichiers déjà joints"))
        kwargs.setdefault("help_text", _("Ils seront joints à l'envoi. Décochez un fichier "
                                         "pour le retirer."))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:
        known = {str(key) for key, _label in cast(list[tuple[str, str]], self.choices)}
        return [token for token in self.to_python(value) if token in known]


class KeepsAttachmentsMixin:
    """For a form with an ``attachments`` field: the files its sender chose are not lost when
    it comes back with an error. The view keeps them (``services.pending_uploads_keep``) and
    hands them to ``attachments_kept``; the form then lists them, and once valid its
    ``cleaned_data["attachments"]`` holds the new files and the kept ones alike.

    ``uploader`` is the person posting: only their own pending uploads are listed or taken.
    """

    fields: dict[str, forms.Field]
    data: Any
    files: Any
    is_bound: bool
    add_prefix: Any
    add_error: Any
    _bound_fields_cache: dict[str, Any]

    def __init__(self, *args: Any, uploader: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept_uploads: list[PendingUpload] = []
        self.kept_lost = False
        posted = self._kept_posted()
        if posted and uploader is not None:
            tokens = [token for token in posted[:_KEPT_LOOKUP_MAX]
                      if isinstance(token, str) and _PENDING_TOKEN.fullmatch(token)]
            self.kept_uploads = pending_upload_list_for_owner(uploader, tokens)
        self.kept_lost = len(set(posted)) > len(self.kept_uploads)
        if posted:
            self._place_kept_field()

    def _kept_posted(self) -> list[Any]:
        if not self.is_bound:
            return []
        widget = forms.CheckboxSelectMultiple()
        return list(widget.value_from_datadict(self.data, self.files, self.add_prefix(KEPT_FIELD))
                    or [])

    def _place_kept_field(self) -> None:
        """The list of kept files, just above the file input."""
        field = KeptAttachmentsField(choices=[
            (pending.token, f"{pending.original_name} ({filesizeformat(pending.size)})")
            for pending in self.kept_uploads
        ])
        placed: dict[str, forms.Field] = {}
        for name, existing in self.fields.items():
            if name == KEPT_FIELD:
                continue
            if name == "attachments":
                placed[KEPT_FIELD] = field
            placed[name] = existing
        placed.setdefault(KEPT_FIELD, field)
        self.fields = placed
        # A form shown again after its validation has bound the former field already.
        self._bound_fields_cache.pop(KEPT_FIELD, None)

    def _kept_chosen(self) -> list[PendingUpload]:
        chosen = set(self._kept_posted())
        return [pending for pending in self.kept_uploads if pending.token in chosen]

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        assert data is not None  # Form.clean returns cleaned_data
        if self.kept_lost:
            self.add_error("attachments", _(
                "Un fichier joint précédemment n'est plus disponible : choisissez-le à nouveau."))
        elif "attachments" in data:
            files = [*data["attachments"],
                     *(KeptUpload(pending) for pending in self._kept_chosen())]
            if len(files) > settings.ATTACHMENT_MAX_FILES:
                self.add_error("attachments", _("Au plus %(n)d fichiers par envoi.")
                               % {"n": settings.ATTACHMENT_MAX_FILES})
            else:
                data["attachments"] = files
        # Held in ``attachments`` now: a form whose cleaned data are its service's keyword
        # arguments passes them on as they are.
        data.pop(KEPT_FIELD, None)
        return data

    def uploads_to_keep(self) -> tuple[list[UploadedFile], list[PendingUpload]]:
        """What to keep when the form comes back with an error: the files just sent (each
        checked again by the service) and the kept ones still checked."""
        name = self.add_prefix("attachments")
        files = self.files
        new = list(files.getlist(name) if hasattr(files, "getlist") else
                   ([files[name]] if files and files.get(name) else []))
        return new, self._kept_chosen()

    def attachments_kept(self, kept: list[PendingUpload]) -> None:
        """List ``kept`` (``services.pending_uploads_keep``'s answer) as this form's kept
        files, each checked, for the form shown again."""
        self.kept_uploads = list(kept)
        if not kept:
            self.fields.pop(KEPT_FIELD, None)
            return
        self._place_kept_field()
        data = self.data.copy()
        tokens = [pending.token for pending in kept]
        if hasattr(data, "setlist"):
            data.setlist(self.add_prefix(KEPT_FIELD), tokens)
        else:
            data[self.add_prefix(KEPT_FIELD)] = tokens
        self.data = data


def attachments_help_text() -> str:
    extensions = ", ".join(sorted({e.lower().lstrip(".")
                                   for e in settings.ATTACHMENT_ALLOWED_EXTENSIONS}))
    return _(
        "Jusqu'à %(count)d fichiers de %(size)d Mo au plus chacun. Types acceptés : %(types)s."
    ) % {
        "count": settings.ATTACHMENT_MAX_FILES,
        "size": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "types": extensions,
    }


# --- the list's filters --------------------------------------------------------------------------


class RequestFilterForm(forms.Form):
    """The filters of "Mes demandes" (GET). An unknown value is an error, not ignored."""

    q = forms.CharField(
        label=_("Rechercher"), required=False, max_length=200,
        help_text=_("Numéro (SPT-12 ou 12), mots du titre, de la description ou des "
                    "commentaires."),
        widget=forms.TextInput(attrs={"type": "search", "class": "form-control"}),
    )
    status = forms.ChoiceField(
        label=_("Statut"), required=False,
        choices=[("", _("Tous les statuts")), *RequestStatus.choices],
    )
    type = ReferenceChoiceField(
        RequestType, label=_("Type"), required=False, to_field_name="code",
        empty_label=_("Tous les types"), keep=lambda row: row.is_active,
    )
    state = forms.ChoiceField(
        label=_("Ouvertes ou fermées"), required=False,
        choices=[
            ("", _("Ouvertes et fermées")),
            (portal_selectors.STATE_OPEN, _("Ouvertes")),
            (portal_selectors.STATE_CLOSED, _("Fermées")),
        ],
    )
    scope = forms.ChoiceField(
        label=_("Demandes"), required=False,
        choices=[
            ("", _("Les miennes et celles de mon organisation")),
            (portal_selectors.SCOPE_MINE, _("Créées par moi")),
            (portal_selectors.SCOPE_PARTICIPATING, _("Où je suis participant")),
            (portal_selectors.SCOPE_COLLEAGUES, _("Celles de mes collègues")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Trier par"), required=False,
        choices=[
            ("", _("Pertinence, sinon dernière modification")),
            ("updated", _("Dernière modification")),
            ("newest", _("Plus récentes d'abord")),
            ("oldest", _("Plus anciennes d'abord")),
            ("priority", _("Priorité")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("status", "type", "state", "scope", "sort"):
            field = self.fields[name]
            field.widget = QuickSelect(attrs={"class": "form-select"},
                                       choices=field.widget.choices)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:  # the red border crispy gave a field in error
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"

    def filters(self) -> portal_selectors.RequestFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        request_type = data.get("type")
        return portal_selectors.RequestFilters(
            q=data.get("q") or "",
            status=data.get("status") or "",
            type_code=request_type.code if request_type else "",
            state=data.get("state") or "",
            scope=data.get("scope") or "",
            sort=data.get("sort") or "",
        )


# --- creating a request --------------------------------------------------------------------------


class PriorityChoiceField(ReferenceChoiceField):
    """Each priority with its Signification under the name, inside the radio's label so that
    it is read with it."""

    def label_from_instance(self, obj: Priority) -> str:
        return format_html(
            '<span class="fw-semibold">{}</span><span class="d-block form-text mt-0">{}</span>',
            obj.name, obj.signification,
        )


# The type's own fields (DESIGN §1) by type code; a type added in the admin without an entry
# here gets the common fields only. Module, version and environment have columns; the others
# go to ``Request.details`` under their field name.
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "support": ("module", "version", "environment"),
    "patch": ("environment", "time_window", "patch_reference"),
}
COLUMN_FIELDS = frozenset({"module", "version", "environment"})
ALL_TYPE_FIELDS = ("module", "version", "environment", "time_window", "patch_reference")


class RequestCreateForm(KeepsAttachmentsMixin, forms.Form):
    title = forms.CharField(
        label=_("Titre"), max_length=200,
        help_text=_("Un résumé en une ligne, par exemple « La clôture mensuelle échoue »."),
    )
    description = forms.CharField(
        label=_("Description"), max_length=settings.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Ce qui se passe, ce que vous attendiez, les étapes pour reproduire et "
                    "les messages d'erreur. Mise en forme Markdown : **gras**, listes, `code`."),
    )
    priority = PriorityChoiceField(
        Priority, label=_("Priorité"), empty_label=None, widget=forms.RadioSelect,
    )
    module = ReferenceChoiceField(
        ErpModule, label=_("Module ERP"), empty_label=_("— Choisissez un module —"),
        help_text=_("Choisissez « Autre / je ne sais pas » si vous hésitez."),
        keep=lambda row: row.is_active,
    )
    version = forms.CharField(
        label=_("Version"), max_length=50, required=False,
        help_text=_("La version de ProConcept ERP, par exemple 24.1."),
    )
    environment = forms.ChoiceField(
        label=_("Environnement"), choices=Environment.choices, widget=forms.RadioSelect,
    )
    time_window = forms.CharField(
        label=_("Fenêtre d'application souhaitée"), max_length=200,
        help_text=_("Quand le correctif peut être appliqué, par exemple « samedi 8 h – 12 h » "
                    "ou « à partir du 15 mars »."),
    )
    patch_reference = forms.CharField(
        label=_("Référence du correctif"), max_length=100,
        help_text=_("Par exemple 24.1.3."),
    )
    attachments = MultipleFileField()
    shared_with_organisation = forms.BooleanField(
        label=_("Partager avec mon organisation"), required=False, initial=True,
        help_text=_("Vos collègues de la même organisation pourront suivre et commenter la "
                    "demande. Décochez pour la garder entre vous et le Customer Service."),
    )

    def __init__(self, *args: Any, request_type: RequestType, follows_up: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        own = TYPE_FIELDS.get(request_type.code, ())
        for name in ALL_TYPE_FIELDS:
            if name not in own:
                del self.fields[name]
        if not self.is_bound:
            if follows_up is not None:
                self._start_from(follows_up)
            self.initial.setdefault("priority", next(
                (p for p in reference_rows(Priority) if p.code == "medium"), None))

    def _start_from(self, original: Any) -> None:
        """A follow-up starts from the closed request it follows: "Suite de SPT-n : …", its
        priority and, where this type asks for them, its module, version and environment (the
        qualified ones) and the other fields of its type."""
        title = _("Suite de %(key)s : %(title)s") % {"key": original.key, "title": original.title}
        max_length = cast(forms.CharField, self.fields["title"]).max_length or len(title)
        self.initial["title"] = title[:max_length]
        self.initial["priority"] = original.priority
        module = original.module
        known = {
            "module": module if module is not None and module.is_active else None,
            "version": original.version, "environment": original.environment,
            **(original.details or {}),
        }
        for name in ALL_TYPE_FIELDS:
            if name in self.fields and known.get(name) not in (None, ""):
                self.initial[name] = known[name]

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned data as ``services.request_create`` takes it."""
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "title": data["title"],
            "description": data["description"],
            "priority": data["priority"],
            "shared_with_organisation": data["shared_with_organisation"],
            "attachments": data.get("attachments") or [],
        }
        details = {}
        for name in TYPE_FIELDS.get(self.request_type.code, ()):
            value = data.get(name)
            if name in COLUMN_FIELDS:
                kwargs[name] = value if value is not None else ""
            elif value not in (None, ""):
                details[name] = value
        if "module" in kwargs and kwargs["module"] == "":
            kwargs["module"] = None
        kwargs["details"] = details
        return kwargs


# --- the request page's forms --------------------------------------------------------------------


class CommentForm(KeepsAttachmentsMixin, forms.Form):
    body = forms.CharField(
        label=_("Votre commentaire"), required=False, max_length=settings.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Mise en forme Markdown : **gras**, listes, `code`."),
    )
    attachments = MultipleFileField()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if not (data.get("body") or "").strip() and not data.get("attachments") and (
            "attachments" not in self.errors
        ):
            self.add_error("body", _("Écrivez un commentaire ou joignez un fichier."))
        return data


def satisfaction_choices() -> list[tuple[str, str]]:
    return [(str(score.value), f"{score.value} — {score.label}")
            for score in SatisfactionScore]


def satisfaction_field(*, required: bool, label: Any) -> forms.TypedChoiceField:
    """The 1–5 scale as a group of radio buttons, each named ("1 — Très insatisfait")."""
    return forms.TypedChoiceField(
        label=label, required=required, coerce=int, empty_value=None,
        choices=lazy(satisfaction_choices, list)(), widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez une note de 1 à 5."),
                        "invalid_choice": _("Choisissez une note de 1 à 5.")},
    )


class ResolutionConfirmForm(forms.Form):
    rating = satisfaction_field(required=False, label=_("Votre satisfaction (facultatif)"))
    body = forms.CharField(
        label=_("Commentaire (facultatif)"), required=False, max_length=settings.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SatisfactionForm(forms.Form):
    """"Votre satisfaction" once the resolution is confirmed: the rating, and a word."""

    rating = satisfaction_field(required=True, label=_("Votre satisfaction"))
    comment = forms.CharField(
        label=_("Un commentaire sur notre service (facultatif)"), required=False,
        max_length=SATISFACTION_COMMENT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Lu par le Customer Service, il n'est pas publié dans l'historique."),
    )


class ResolutionDenyForm(forms.Form):
    body = forms.CharField(
        label=_("Pourquoi la solution ne convient-elle pas ?"),
        max_length=settings.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Expliquez pourquoi la solution ne convient pas.")},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Raison du retrait"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Par exemple : le problème s'est résolu de lui-même."),
        error_messages={"required": _("Indiquez pourquoi vous retirez la demande.")},
    )


class _PersonChoiceField(BoundedModelChoiceField):
    iterator = EvaluatedChoiceIterator

    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class ParticipantAddForm(forms.Form):
    user = _PersonChoiceField(
        label=_("Ajouter un collègue"), queryset=None,
        empty_label=_("— Choisissez un collègue —"),
        error_messages={"required": _("Choisissez le collègue à ajouter."),
                        "invalid_choice": _("Cette personne ne peut pas être ajoutée.")},
    )

    def __init__(self, *args: Any, colleagues: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = colleagues


class ParticipantRemoveForm(forms.Form):
    user = _PersonChoiceField(
        queryset=None, widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Cette personne ne participe pas à la demande.")},
    )

    def __init__(self, *args: Any, participants: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = participants
