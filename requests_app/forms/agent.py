"""Input of the back-office pages: one form per thing a transition requires, the queue
filters, bulk actions and the sales administration's licence form.

Forms only parse and check the shape of the input; every business rule (who may, when, what a
transition needs) is enforced again by the services, which have the last word.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from requests_app import permissions
from requests_app.forms.fields import (
    BoundedModelChoiceField,
    BoundedModelMultipleChoiceField,
    ReferenceChoiceField,
)
from requests_app.forms.portal import KeepsAttachmentsMixin, MultipleFileField
from requests_app.forms.widgets import QuickSelect
from requests_app.models import Environment, ErpModule, Organisation, Priority, RequestType
from requests_app.people import person_name
from requests_app.permissions import Role
from requests_app.selectors.directory import back_office_colleagues
from requests_app.selectors.queues import SORTS, queue_sorts
from requests_app.services.bulk import BULK_ASSIGN
from requests_app.workflow import BULK_TRANSITIONS, TRANSITIONS, RequestStatus, action_label

# The user model (auth.User, not swapped): its class for the type checker, the swappable
# lookup at run time.
if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()


class PersonChoiceField(BoundedModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return person_name(obj)


def servicedesk_agents() -> QuerySet:
    return User.objects.filter(is_active=True, groups__name=Role.SERVICEDESK).order_by(
        "last_name", "first_name", "username"
    ).distinct()


def request_types_for(user: User, current: RequestType | None = None) -> QuerySet:
    """The types an agent may give a request: those a client may open and the current one;
    sales administration also Licence (the service refuses anything else anyway)."""
    allowed = Q(is_active=True)
    if not permissions.may_create_licence(user):
        allowed &= Q(client_can_open=True)
    if current is not None:
        allowed |= Q(pk=current.pk)
    return RequestType.objects.filter(allowed).select_related("category")


def _type_label(obj: RequestType) -> str:
    return f"{obj.category.name} › {obj.name}"


class TypeChoiceField(BoundedModelChoiceField):
    def label_from_instance(self, obj: RequestType) -> str:
        return _type_label(obj)


class ReferenceTypeChoiceField(ReferenceChoiceField):
    def label_from_instance(self, obj: RequestType) -> str:
        return _type_label(obj)


def attachments_field() -> MultipleFileField:
    return MultipleFileField()


# --------------------------------------------------------------------- transitions

class TransitionForm(forms.Form):
    """What every transition posts: the status the page showed, so that a request changed in
    between is refused ("modifiée entre-temps") instead of acted upon blindly."""

    expected_status = forms.ChoiceField(
        choices=RequestStatus.choices, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, request_obj: Any = None, user: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_obj = request_obj
        self.user = user
        if request_obj is not None:
            self.fields["expected_status"].initial = request_obj.status

    def service_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of the transition's service (field names match them)."""
        return dict(self.cleaned_data)


def _text(label: Any, *, required: bool = True, help_text: Any = "", rows: int = 4,
          internal: bool = False, mentions: bool = False) -> forms.CharField:
    """``mentions``: the text may be an internal note, where "@" offers colleagues to
    mention (static/js/mentions.js); an internal text always may."""
    attrs: dict[str, int | str | bool] = {"rows": rows}
    if internal:
        attrs["class"] = "internal-note-input"
    if internal or mentions:
        attrs["data-mentions"] = True
    return forms.CharField(
        label=label, required=required, help_text=help_text, strip=True,
        max_length=settings.COMMENT_MAX_LENGTH, widget=forms.Textarea(attrs=attrs),
    )


class QualifyForm(TransitionForm):
    """FrontDesk confirms type and priority and records module, version and environment."""

    request_type = TypeChoiceField(label=_("Type"), queryset=RequestType.objects.none(),
                                   empty_label=None)
    priority = BoundedModelChoiceField(label=_("Priorité"), queryset=Priority.objects.all(),
                                      empty_label=None)
    module = BoundedModelChoiceField(
        label=_("Module"), queryset=ErpModule.objects.filter(is_active=True),
        empty_label=_("— choisir —"),
    )
    version = forms.CharField(label=_("Version"), max_length=50)
    environment = forms.ChoiceField(
        label=_("Environnement"), choices=[("", _("— choisir —")), *Environment.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request_obj = self.request_obj
        cast(forms.ModelChoiceField, self.fields["request_type"]).queryset = request_types_for(
            self.user, getattr(request_obj, "request_type", None)
        )
        if request_obj is not None and not self.is_bound:
            self.initial.update({
                "request_type": request_obj.request_type_id,
                "priority": request_obj.priority_id,
                "module": request_obj.module_id,
                "version": request_obj.version,
                "environment": request_obj.environment,
            })


class AssigneeMixin:
    """Daily assigns any ServiceDesk agent; a ServiceDesk agent can only take the request
    themselves, so for them the choice is fixed."""

    fields: dict[str, forms.Field]  # the form's this is mixed into

    def setup_assignee(self, user: User, request_obj: Any) -> None:
        field = cast(forms.ModelChoiceField, self.fields["assignee"])
        if permissions.has_role(user, Role.DAILY):
            field.queryset = servicedesk_agents()
            if request_obj is not None and request_obj.assignee_id:
                field.initial = request_obj.assignee_id
        else:
            field.queryset = User.objects.filter(pk=user.pk)
            field.initial = user.pk
            field.widget = forms.HiddenInput()
            self.takes_it_themselves = True


class StartForm(AssigneeMixin, TransitionForm):
    assignee = PersonChoiceField(label=_("Assigner à"), queryset=User.objects.none(),
                                 empty_label=_("— choisir un agent ServiceDesk —"))
    takes_it_themselves = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_assignee(self.user, self.request_obj)


class CloseWithoutFollowUpForm(TransitionForm):
    comment = _text(_("Commentaire au client (visible du client)"),
                    help_text=_("Par exemple : doublon de SPT-…, hors périmètre."))


class EscalateForm(TransitionForm):
    note = _text(_("Note interne pour l'expert"), internal=True,
                 help_text=_("Jamais montrée au client."))


class InternalOrPublicCommentForm(TransitionForm):
    comment = _text(_("Commentaire"), mentions=True)
    internal = forms.BooleanField(
        label=_("Note interne (jamais montrée au client)"), required=False, initial=True,
        help_text=_("Décochez pour que le client voie ce commentaire."),
    )


class SendToRndForm(TransitionForm):
    rnd_reference = forms.CharField(label=_("Référence R&D"), max_length=100)
    comment = _text(_("Note interne pour le R&D"), required=False, internal=True, rows=3,
                    help_text=_("Facultative. Jamais montrée au client."))


class AskCustomerForm(KeepsAttachmentsMixin, TransitionForm):
    question = _text(_("Question au client (visible du client)"))
    attachments = attachments_field()


class ProposeResolutionForm(KeepsAttachmentsMixin, TransitionForm):
    resolution = _text(
        _("Résolution proposée (visible du client)"),
        help_text=_("Le client reçoit une demande de confirmation."),
    )
    attachments = attachments_field()


class CloseForm(TransitionForm):
    comment = _text(_("Commentaire au client (facultatif)"), required=False, rows=3)


class CloseWithoutAnswerForm(TransitionForm):
    comment = _text(_("Commentaire au client (visible du client)"))


class CloseEscalatedForm(TransitionForm):
    reason = _text(_("Motif (visible du client)"),
                   help_text=_("Par exemple : traitée par le projet ou le consulting."))


TRANSITION_FORMS: dict[str, type[TransitionForm]] = {
    "qualify": QualifyForm,
    "close_without_follow_up": CloseWithoutFollowUpForm,
    "start": StartForm,
    "escalate_to_expert": EscalateForm,
    "return_to_service_desk": InternalOrPublicCommentForm,
    "send_to_rnd": SendToRndForm,
    "fix_available": InternalOrPublicCommentForm,
    "ask_customer": AskCustomerForm,
    "propose_resolution": ProposeResolutionForm,
    "take_back": InternalOrPublicCommentForm,
    "close": CloseForm,
    "close_without_answer": CloseWithoutAnswerForm,
    "close_escalated": CloseEscalatedForm,
}


def transition_form(name: str, *, request_obj: Any, user: Any, data: Any = None,
                    files: Any = None) -> TransitionForm:
    """The form of transition ``name``, prefixed by its name (several share a page). One
    that takes files keeps them for ``user`` when it comes back with an error."""
    form_class = TRANSITION_FORMS[name]
    kwargs: dict[str, Any] = {"prefix": name, "request_obj": request_obj, "user": user}
    if issubclass(form_class, KeepsAttachmentsMixin):
        kwargs["uploader"] = user
    return form_class(data, files, **kwargs)


# --------------------------------------------------------------- other request actions

class AgentCommentForm(KeepsAttachmentsMixin, forms.Form):
    """A public comment or an internal note; the button pressed says which."""

    VISIBILITY = [("public", _("Commentaire public")), ("internal", _("Note interne"))]

    body = forms.CharField(label=_("Commentaire"), required=False, strip=True,
                           max_length=settings.COMMENT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 4, "data-mentions": True}),
                           help_text=_("Tapez @ et le début d'un nom pour mentionner un "
                                       "collègue : seule une note interne le prévient, "
                                       "jamais un commentaire public (le client le lit)."))
    attachments = attachments_field()
    visibility = forms.ChoiceField(choices=VISIBILITY)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if not data.get("body") and not data.get("attachments"):
            self.add_error("body", _("Écrivez un commentaire ou joignez un fichier."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        return {
            "body": self.cleaned_data["body"],
            "is_internal": self.cleaned_data["visibility"] == "internal",
            "attachments": self.cleaned_data["attachments"],
        }


class DetailsForm(forms.Form):
    """Type, priority and qualification details changed after the fact (in the history)."""

    request_type = TypeChoiceField(label=_("Type"), queryset=RequestType.objects.none(),
                                   empty_label=None)
    priority = BoundedModelChoiceField(label=_("Priorité"), queryset=Priority.objects.all(),
                                      empty_label=None)
    module = BoundedModelChoiceField(
        label=_("Module"), queryset=ErpModule.objects.filter(is_active=True), required=False,
        empty_label="—",
    )
    version = forms.CharField(label=_("Version"), max_length=50, required=False)
    environment = forms.ChoiceField(
        label=_("Environnement"), choices=[("", "—"), *Environment.choices], required=False
    )

    def __init__(self, *args: Any, request_obj: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "details")
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["request_type"]).queryset = request_types_for(
            user, request_obj.request_type
        )
        if not self.is_bound:
            self.initial.update({
                "request_type": request_obj.request_type_id,
                "priority": request_obj.priority_id,
                "module": request_obj.module_id,
                "version": request_obj.version,
                "environment": request_obj.environment,
            })

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class AssignForm(AssigneeMixin, forms.Form):
    assignee = PersonChoiceField(label=_("Assigner à"), queryset=User.objects.none(),
                                 empty_label=_("— choisir un agent ServiceDesk —"))
    takes_it_themselves = False

    def __init__(self, *args: Any, request_obj: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        self.setup_assignee(user, request_obj)


class MuteForm(forms.Form):
    muted = forms.BooleanField(required=False)


# ------------------------------------------------------------------------- queues

class QueueFilterForm(forms.Form):
    """The filters of a queue (GET): organisation, priority, type, assignee, text, order."""

    q = forms.CharField(
        label=_("Recherche"), required=False, max_length=100,
        help_text=_("Numéro (SPT-12), mots du titre, de la description, des commentaires et "
                    "notes internes, organisation, demandeur ou référence R&D."),
    )
    organisation = ReferenceChoiceField(
        Organisation, label=_("Organisation"), required=False, empty_label=_("Toutes"),
        widget=QuickSelect,
    )
    priority = ReferenceChoiceField(
        Priority, label=_("Priorité"), required=False, empty_label=_("Toutes"),
        widget=QuickSelect,
    )
    request_type = ReferenceTypeChoiceField(
        RequestType, label=_("Type"), required=False, empty_label=_("Tous"),
        widget=QuickSelect,
    )
    assignee = forms.ChoiceField(label=_("Assignée à"), required=False, widget=QuickSelect)
    sort = forms.ChoiceField(
        label=_("Trier par"), required=False, widget=QuickSelect,
        choices=[(key, label) for key, (label, _order) in SORTS.items()],
    )

    def __init__(self, *args: Any, default_sort: str = "slo", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_sort = default_sort
        # No order chosen: the best found first while searching, else the queue's own.
        sort = cast(forms.ChoiceField, self.fields["sort"])
        sort.choices = [
            ("", _("Pertinence, sinon « %(order)s »") % {"order": SORTS[default_sort][0]}),
            *((key, label) for key, (label, _order) in queue_sorts(default_sort).items()),
        ]
        people = [(str(person.pk), person.name) for person in back_office_colleagues()]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Tout le monde")), ("me", _("Moi")), ("none", _("Non assignée")),
            *people,
        ]
        for name, field in self.fields.items():
            css = "form-control form-control-sm" if name == "q" else "form-select form-select-sm"
            field.widget.attrs["class"] = css

    def filters(self) -> dict[str, Any]:
        """The queue selector's keyword arguments; invalid filters are simply ignored."""
        if not self.is_bound or not self.is_valid():
            return {"sort": ""}
        data = self.cleaned_data
        return {
            "organisation": data.get("organisation"),
            "priority": data.get("priority"),
            "request_type": data.get("request_type"),
            "assignee": data.get("assignee") or "",
            "text": data.get("q") or "",
            "sort": data.get("sort") or "",
        }

    @property
    def active(self) -> bool:
        """Whether any filter (not the order) is in use: the page says so."""
        if not self.is_bound or not self.is_valid():
            return False
        return any(self.cleaned_data.get(key) for key in
                   ("q", "organisation", "priority", "request_type", "assignee"))


class RequestRefsWidget(forms.Widget):
    """The rows' checkboxes are drawn by the queue table itself; this widget only reads them
    back. Its id is the table's, so an error summary links to the table."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def render(self, *args: Any, **kwargs: Any) -> SafeString:
        return SafeString("")


_REQUEST_REF = re.compile(r"(?P<number>[1-9][0-9]{0,8}):(?P<status>[a-z_]{1,30})", re.ASCII)


class RequestRefsField(forms.Field):
    """The ticked rows of a queue, each ``<number>:<status the row showed>`` so that every
    request is acted upon only if it is still what the agent saw."""

    widget = RequestRefsWidget
    default_error_messages = {
        "required": _("Cochez au moins une demande."),
        "invalid": _("Sélection de demandes invalide."),
    }
    statuses = frozenset(RequestStatus.values)

    def to_python(self, value: Any) -> list[tuple[int, str]]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        parsed = []
        for item in values:
            # ASCII digits only: str.isdigit() and int() also take "²" or "١" (int("²")
            # raised); nine at most, within the request number's column.
            match = _REQUEST_REF.fullmatch(str(item))
            if match is None or match["status"] not in self.statuses:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            parsed.append((int(match["number"]), match["status"]))
        if len(parsed) > 200:
            raise forms.ValidationError(_("Au plus 200 demandes à la fois."), code="too_many")
        return parsed




# Who reads the text of a bulk action: the client, colleagues only, or either (the agent
# chooses by the field they write in).
PUBLIC, INTERNAL, EITHER = "public", "internal", "either"

BULK_ASSIGN_LABEL = _("Assigner / réassigner")


def bulk_text_audience(name: str) -> str | None:
    """Who reads the text of the bulk action ``name`` (None: it takes none), as its own form
    on the request page says: an ``internal`` choice there makes it either, a note field
    (``internal-note-input``) internal, any other text public."""
    spec = TRANSITIONS.get(name)
    if spec is None or spec.text_param is None:
        return None
    form_class = TRANSITION_FORMS[name]
    if "internal" in form_class.base_fields:
        return EITHER
    widget = form_class.base_fields[spec.text_param].widget
    return INTERNAL if "internal-note-input" in str(widget.attrs.get("class", "")) else PUBLIC


def bulk_action_label(name: str) -> str:
    return str(BULK_ASSIGN_LABEL) if name == BULK_ASSIGN else action_label(name)


class BulkActionForm(forms.Form):
    """One action on several requests of a queue; each is then done one by one through the
    same service as on the request page, and refused or done on its own.

    The text an action takes is written in one of two fields, so that the agent always knows
    who reads it: "Commentaire au client" (visible to the client) or "Note interne" (never
    shown to them). Each action accepts only the field(s) its own form on the request page
    has (``bulk_text_audience``), and its required text is asked for on that field.

    ``offered``: the actions the queue page offers (those allowed for at least one of its
    rows, ``selectors.agent_page.bulk_actions_for``); without it, every action of the
    person's roles (a post is checked per request by the services anyway)."""

    requests = RequestRefsField(label=_("Demandes"))
    action = forms.ChoiceField(label=_("Action"))
    assignee = PersonChoiceField(
        label=_("Agent ServiceDesk"), queryset=User.objects.none(), required=False,
        empty_label="—",
    )
    rnd_reference = forms.CharField(label=_("Référence R&D"), required=False,
                                    max_length=100)
    comment = forms.CharField(
        label=_("Commentaire au client (visible du client)"), required=False, strip=True,
        max_length=settings.COMMENT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(
        label=_("Note interne (jamais montrée au client)"), required=False, strip=True,
        max_length=settings.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "class": "internal-note-input"}),
    )

    def __init__(self, *args: Any, user: User, offered: Collection[str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        roles = permissions.roles_of(user)
        names = [BULK_ASSIGN] if permissions.may_assign(user) else []
        # The registry's roles; actions for a person (the assignee) are offered to everyone.
        names += [name for name in BULK_TRANSITIONS
                  if not TRANSITIONS[name].roles or TRANSITIONS[name].roles & roles]
        if offered is not None:
            names = [name for name in names if name in offered]
        self.action_names = names
        cast(forms.ChoiceField, self.fields["action"]).choices = [
            ("", _("— choisir une action —")),
            *((name, bulk_action_label(name)) for name in names),
        ]
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = (
            servicedesk_agents() if permissions.has_role(user, Role.DAILY)
            else User.objects.filter(pk=user.pk)
        )
        self.uses = self._uses(names)
        for field_name, help_text in self._help_texts().items():
            self.fields[field_name].help_text = help_text

    @staticmethod
    def _uses(names: list[str]) -> dict[str, list[str]]:
        """{field: the offered actions that take it}: the page shows a field only for them."""
        uses: dict[str, list[str]] = {"assignee": [], "rnd_reference": [], "comment": [],
                                      "note": []}
        for name in names:
            if name == BULK_ASSIGN or TRANSITIONS[name].requires == "assignee":
                uses["assignee"].append(name)
            if name != BULK_ASSIGN and TRANSITIONS[name].requires == "rnd_reference":
                uses["rnd_reference"].append(name)
            audience = bulk_text_audience(name)
            if audience in (PUBLIC, EITHER):
                uses["comment"].append(name)
            if audience in (INTERNAL, EITHER):
                uses["note"].append(name)
        return uses

    def _help_texts(self) -> dict[str, str]:
        def listed(field_name: str) -> str:
            return ", ".join(f"« {bulk_action_label(name)} »" for name in self.uses[field_name])

        texts = {}
        for field_name in ("assignee", "rnd_reference", "comment", "note"):
            if self.uses[field_name]:
                texts[field_name] = _("Pour %(actions)s.") % {"actions": listed(field_name)}
        for field_name in ("comment", "note"):
            if field_name in texts:
                texts[field_name] += " " + str(_("Le même texte pour chaque demande."))
        return texts

    @property
    def uses_attrs(self) -> dict[str, str]:
        """{field: its actions, space-separated}, for the page's ``data-bulk-for``."""
        return {field_name: " ".join(names) for field_name, names in self.uses.items()}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        action = data.get("action")
        if not action:
            return data  # the field says it
        if action in (BULK_ASSIGN, "start") and not data.get("assignee"):
            if permissions.has_role(self.user, Role.SERVICEDESK) and not permissions.has_role(
                self.user, Role.DAILY
            ):
                data["assignee"] = self.user
            else:
                self.add_error("assignee", _("Choisissez l'agent ServiceDesk."))
        if action == "send_to_rnd" and not data.get("rnd_reference"):
            self.add_error("rnd_reference", _("La référence R&D est obligatoire."))
        self._clean_texts(action, data)
        return data

    def _clean_texts(self, action: str, data: dict[str, Any]) -> None:
        """Each action's text on its field: required where its registry entry says so, and
        never in a field whose readers the action does not write to."""
        comment, note = data.get("comment") or "", data.get("note") or ""
        label = {"action": bulk_action_label(action)}
        audience = bulk_text_audience(action)
        required = TRANSITIONS[action].text_required if action in TRANSITIONS else None
        if audience is None:
            for field_name, value in (("comment", comment), ("note", note)):
                if value:
                    self.add_error(field_name, _("« %(action)s » ne prend pas de texte : "
                                                 "videz ce champ.") % label)
        elif audience == PUBLIC:
            if note:
                self.add_error("note", _("« %(action)s » écrit au client : son texte va dans "
                                         "« Commentaire au client », pas en note interne.")
                               % label)
            if not comment and required is not None:
                self.add_error("comment", str(required))
        elif audience == INTERNAL:
            if comment:
                self.add_error("comment", _("« %(action)s » ne prend qu'une note interne, que "
                                            "le client ne voit pas : écrivez le texte dans "
                                            "« Note interne ».") % label)
            if not note and required is not None:
                self.add_error("note", str(required))
        elif comment and note:
            self.add_error("note", _("« %(action)s » prend un seul texte : un commentaire au "
                                     "client ou une note interne, pas les deux.") % label)
        elif not comment and not note and required is not None:
            self.add_error("note", _("%(required)s Écrivez-le en note interne, ou en "
                                     "commentaire au client.") % {"required": required})

    def service_kwargs(self, name: str) -> dict[str, Any]:
        """The keyword arguments of ``name``'s service: the text of the field its readers
        write to, goes to the text parameter the registry names (with ``internal`` when it
        may be either), plus what the action requires."""
        data = self.cleaned_data
        if name == BULK_ASSIGN:
            return {"assignee": data.get("assignee")}
        spec = TRANSITIONS[name]
        kwargs: dict[str, Any] = {}
        comment, note = data.get("comment") or "", data.get("note") or ""
        audience = bulk_text_audience(name)
        if spec.text_param and audience == PUBLIC:
            kwargs[spec.text_param] = comment
        elif spec.text_param and audience == INTERNAL:
            kwargs[spec.text_param] = note
        elif spec.text_param:
            kwargs[spec.text_param] = comment or note
            kwargs["internal"] = not comment
        if spec.requires == "assignee":
            kwargs["assignee"] = data.get("assignee")
        if spec.requires == "rnd_reference":
            kwargs["rnd_reference"] = data.get("rnd_reference")
        return kwargs


# ----------------------------------------------------------------- sales administration

class CheckboxGroup(forms.CheckboxSelectMultiple):
    """Checkboxes whose field "id" is the first box's: an error summary links to it (Django
    gives a group no id at all)."""

    def id_for_label(self, id_: str, index: str | None = "0") -> str:
        return super().id_for_label(id_, index)


class ReporterChoiceField(BoundedModelChoiceField):
    """Client contacts grouped by organisation (an <optgroup> each)."""

    def label_from_instance(self, obj: User) -> str:
        return person_name(obj)


class LicenceForm(forms.Form):
    organisation = BoundedModelChoiceField(
        label=_("Organisation cliente"), queryset=Organisation.objects.filter(is_active=True),
        empty_label=_("— choisir —"),
    )
    reporter = ReporterChoiceField(
        label=_("Contact (demandeur)"), queryset=User.objects.none(),
        empty_label=_("— choisir —"),
        help_text=_("La demande est créée pour le compte de cette personne, qui la suit "
                    "ensuite dans le portail."),
    )
    title = forms.CharField(label=_("Titre"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(
        attrs={"rows": 5}))
    priority = BoundedModelChoiceField(label=_("Priorité"), queryset=Priority.objects.all())
    # A licence names real modules: not the portal's "Autre / je ne sais pas".
    modules = BoundedModelMultipleChoiceField(
        label=_("Modules"), queryset=ErpModule.objects.filter(is_active=True).exclude(
            code="autre"),
        widget=CheckboxGroup,
    )
    users = forms.IntegerField(label=_("Nombre d'utilisateurs"), min_value=1,
                               max_value=100000)
    validity = forms.DateField(
        label=_("Valable jusqu'au"), widget=forms.DateInput(attrs={"type": "date"},
                                                            format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contacts = list(
            User.objects.filter(is_active=True, profile__organisation__is_active=True)
            .select_related("profile__organisation")
            .order_by("profile__organisation__name", "last_name", "first_name", "username")
        )
        cast(forms.ModelChoiceField, self.fields["reporter"]).queryset = User.objects.filter(
            is_active=True, profile__organisation__is_active=True
        )
        groups: dict[str, list[tuple[int, str]]] = {}
        for user in contacts:
            organisation = user.profile.organisation
            assert organisation is not None  # contacts of an active organisation only
            groups.setdefault(organisation.name, []).append((user.pk, person_name(user)))
        cast(forms.ChoiceField, self.fields["reporter"]).choices = [
            ("", _("— choisir —")), *groups.items()
        ]
        self._contact_organisation = {
            user.pk: user.profile.organisation_id for user in contacts
        }
        if "priority" not in self.initial:
            medium = Priority.objects.filter(code="medium").values_list("pk", flat=True)
            self.fields["priority"].initial = medium.first()

    def clean_validity(self) -> Any:
        validity = self.cleaned_data["validity"]
        if validity < timezone.localdate():
            raise forms.ValidationError(_("La date de validité est déjà passée."))
        return validity

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        organisation, reporter = data.get("organisation"), data.get("reporter")
        if organisation and reporter and (
            self._contact_organisation.get(reporter.pk) != organisation.pk
        ):
            self.add_error("reporter", _("%(user)s n'est pas un contact de %(org)s.") % {
                "user": person_name(reporter), "org": organisation,
            })
        return data

    def details(self) -> dict[str, Any]:
        """The Licence type's own fields, as stored in ``Request.details``."""
        data = self.cleaned_data
        return {
            "modules": ", ".join(module.name for module in data["modules"]),
            "users": data["users"],
            "validity": data["validity"].isoformat(),
        }
