"""``forms/rendering.py`` gives crispy-bootstrap5's markup: every form the hot pages render, built
as their views build it, unbound, sent empty, sent with its initial values and refused, is
DOM-equal to ``|crispy`` and ``|as_crispy_field`` (each rendered on a fresh instance: crispy
changes the widgets' attrs), renders the same twice without touching the form, and draws no
crispy template; a widget the renderer does not know is left to crispy."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.test.signals import template_rendered
from django.utils.datastructures import MultiValueDict
from django.utils.safestring import mark_safe
from pytest_django.asserts import assertHTMLEqual

from requests_app.forms import agent as agent_forms
from requests_app.forms import portal as portal_forms
from requests_app.forms.rendering import field_html, form_html
from requests_app.forms.widgets import QuickSelect
from requests_app.models import RequestType
from requests_app.selectors import portal as portal_selectors
from requests_app.workflow import RequestStatus as S

SEED = importlib.import_module("requests_app.migrations.0002_seed_reference_data")
TYPE_CODES = [row[0] for row in SEED.TYPES]

# Every form the hot templates render, by a name: the request form of each seeded type, the
# request pages' forms, each transition's (``start`` twice: Daily chooses the agent, a
# ServiceDesk agent gets a hidden field) and the queue's bulk form.
CASES = [
    *(f"create:{code}" for code in TYPE_CODES),
    "comment", "participant", "confirm", "deny", "withdraw", "agent_comment", "details",
    "assign:daily", "assign:servicedesk",
    *(f"transition:{name}" for name in agent_forms.TRANSITION_FORMS),
    "transition:start:servicedesk", "bulk:daily", "bulk:servicedesk",
]
STATES = ["unbound", "empty", "initial", "refused"]
TEXT = "Texte « <b>gras</b> » & 'co'"

Factory = Callable[[Any, Any], forms.BaseForm]


@pytest.fixture
def factories_by_case(walk, colleague, frontdesk, daily, servicedesk) -> dict[str, Factory]:
    """``case → (data, files) → form``, with the constructor arguments of the views."""
    request_obj = walk(S.IN_PROGRESS)
    colleagues = portal_selectors.colleague_list_for_participation(request_obj)
    transition_user = {"qualify": frontdesk, "start": daily}
    built: dict[str, Factory] = {
        "comment": lambda data, files: portal_forms.CommentForm(data, files, prefix="comment"),
        "participant": lambda data, files: portal_forms.ParticipantAddForm(
            data, files, prefix="participant", colleagues=colleagues),
        "confirm": lambda data, files: portal_forms.ResolutionConfirmForm(
            data, files, prefix="confirm"),
        "deny": lambda data, files: portal_forms.ResolutionDenyForm(data, files, prefix="deny"),
        "withdraw": lambda data, files: portal_forms.WithdrawForm(
            data, files, prefix="withdraw"),
        "agent_comment": lambda data, files: agent_forms.AgentCommentForm(
            data, files, prefix="comment"),
        "details": lambda data, files: agent_forms.DetailsForm(
            data, files, request_obj=request_obj, user=frontdesk),
        "assign:daily": lambda data, files: agent_forms.AssignForm(
            data, files, request_obj=request_obj, user=daily),
        "assign:servicedesk": lambda data, files: agent_forms.AssignForm(
            data, files, request_obj=request_obj, user=servicedesk),
        "transition:start:servicedesk": lambda data, files: agent_forms.transition_form(
            "start", request_obj=request_obj, user=servicedesk, data=data, files=files),
        "bulk:daily": lambda data, files: agent_forms.BulkActionForm(
            data, files, user=daily, prefix="bulk"),
        "bulk:servicedesk": lambda data, files: agent_forms.BulkActionForm(
            data, files, user=servicedesk, prefix="bulk"),
    }
    for code in TYPE_CODES:
        request_type = RequestType.objects.get(code=code)
        built[f"create:{code}"] = (
            lambda data, files, request_type=request_type: portal_forms.RequestCreateForm(
                data, files, request_type=request_type))
    for name in agent_forms.TRANSITION_FORMS:
        user = transition_user.get(name, servicedesk)
        built[f"transition:{name}"] = (
            lambda data, files, name=name, user=user: agent_forms.transition_form(
                name, request_obj=request_obj, user=user, data=data, files=files))
    return built


def test_every_transition_form_is_a_case():
    def subclasses(cls: type) -> set[type]:
        return {sub for child in cls.__subclasses__() for sub in {child, *subclasses(child)}}

    assert subclasses(agent_forms.TransitionForm) <= set(agent_forms.TRANSITION_FORMS.values())


def initial_data(form: forms.BaseForm) -> tuple[QueryDict, MultiValueDict]:
    """What a person would send back: the unbound form's values, a text where a field is
    empty, the first choice where none is chosen, a file for attachments."""
    data, files = QueryDict(mutable=True), MultiValueDict()
    for bound in form:
        field = bound.field
        if isinstance(field, forms.FileField):
            files.setlist(bound.html_name, [SimpleUploadedFile("journal.txt", b"Erreur 4512")])
            continue
        value = field.prepare_value(bound.value())
        if isinstance(field, agent_forms.RequestRefsField):
            value = ["12:in_progress", "13:open"]
        elif value in (None, "", []):
            if isinstance(field, forms.BooleanField):
                value = True
            elif isinstance(field, forms.ChoiceField):
                value = next(str(key) for key, _label in field.choices if str(key))
            else:
                value = TEXT
        if isinstance(field, forms.BooleanField):
            if value:
                data[bound.html_name] = "on"
            continue
        values = value if isinstance(value, list | tuple) else [value]
        data.setlist(bound.html_name, [str(item) for item in values])
    return data, files


def make(factory: Factory, state: str) -> forms.BaseForm:
    """A fresh form in ``state``: each call gives an instance of its own, in the same state."""
    if state == "unbound":
        return factory(None, None)
    if state == "empty":
        return factory(QueryDict(), MultiValueDict())
    form = factory(*initial_data(factory(None, None)))
    if state == "refused":  # a service's refusal, as the views add it, and two on a field
        form.is_valid()
        form.add_error(None, "La demande a changé <entre-temps> & n'a pas été modifiée.")
        # A visible field; a form of hidden fields only: crispy shows a hidden field no error.
        first = next((bound for bound in form if not bound.is_hidden), next(iter(form)))
        form.add_error(first.name, ["Trop <long>.", mark_safe("Déjà <em>pris</em>.")])
    return form


def widget_attrs(form: forms.BaseForm) -> dict[str, dict[str, Any]]:
    return {name: copy.deepcopy(field.widget.attrs) for name, field in form.fields.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("case", CASES)
def test_markup_is_crispys(factories_by_case, case, state):
    factory = factories_by_case[case]
    ours = make(factory, state)
    before = widget_attrs(ours)

    rendered = form_html(ours)
    assertHTMLEqual(rendered, as_crispy_form(make(factory, state)))
    crispy_fields = make(factory, state)
    fields = {name: field_html(ours[name]) for name in ours.fields}
    for name, html in fields.items():
        assertHTMLEqual(html, as_crispy_field(crispy_fields[name]), msg=f"field {name}")

    # Rendered again: the same markup, and the form's widgets left as they were.
    assert form_html(ours) == rendered
    assert {name: field_html(ours[name]) for name in ours.fields} == fields
    assert widget_attrs(ours) == before


@pytest.fixture
def templates_rendered():
    names: list[str] = []

    def record(sender: Any, template: Any, context: Any, **kwargs: Any) -> None:
        names.append(template.name)

    template_rendered.connect(record)
    yield names
    template_rendered.disconnect(record)


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["unbound", "refused"])
@pytest.mark.parametrize("case", CASES)
def test_no_template_per_field(factories_by_case, templates_rendered, case, state):
    """The point of the module: the hot forms draw no template at all, but for the bulk
    form's row selection, a widget of its own that the page never shows (left to crispy)."""
    form = make(factories_by_case[case], state)
    own_widget = {"requests"} if case.startswith("bulk:") else set()
    for name in set(form.fields) - own_widget:
        field_html(form[name])
    if not own_widget:
        form_html(form)
    assert templates_rendered == []


class _OwnTemplateInput(forms.TextInput):
    template_name = "django/forms/widgets/textarea.html"  # any template but input.html


class UnknownWidgetsForm(forms.Form):
    when = forms.SplitDateTimeField(label="Quand", help_text="Date & heure")
    own = forms.CharField(label="Le sien", widget=_OwnTemplateInput)
    multiple = forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.MultipleHiddenInput)
    known = forms.CharField(label="Connu")


@pytest.mark.parametrize("data", [None, {}], ids=["unbound", "empty"])
def test_unknown_widget_falls_back_to_crispy(templates_rendered, data):
    form = UnknownWidgetsForm(data)
    with mock.patch("requests_app.forms.rendering.as_crispy_field",
                    wraps=as_crispy_field) as crispy:
        for name in ("when", "own", "multiple"):
            assert field_html(form[name]) == as_crispy_field(UnknownWidgetsForm(data)[name])
        assert crispy.call_count == 3
        assert "bootstrap5/field.html" in templates_rendered
        field_html(form["known"])
        assert crispy.call_count == 3
    assertHTMLEqual(form_html(UnknownWidgetsForm(data)), as_crispy_form(UnknownWidgetsForm(data)))


class EveryWidgetForm(forms.Form):
    """Widgets the hot forms do not use yet, the renderer knows all the same."""

    number = forms.DecimalField(label="Montant", localize=True, initial="1234.5")
    email = forms.EmailField(label="E-mail", required=False, disabled=True)
    password = forms.CharField(widget=forms.PasswordInput(attrs={"placeholder": "<secret>"}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    when = forms.DateTimeField(required=False)
    maybe = forms.NullBooleanField(label="Peut-être")
    many = forms.MultipleChoiceField(
        choices=[("a", "A & a"), ("Groupe", [("b", "B"), ("c", "C")])], required=False)
    boxes = forms.MultipleChoiceField(
        choices=[("a", "A"), ("Groupe <1>", [("b", "B")])], widget=agent_forms.CheckboxGroup,
        help_text="Plusieurs")
    single = forms.ChoiceField(choices=[(1, "Un"), (2, "Deux")], widget=forms.RadioSelect,
                               required=False, initial=2)
    document = forms.FileField(required=False, help_text="Un fichier")
    agree = forms.BooleanField(label="D'accord", required=False)
    kept = forms.CharField(show_hidden_initial=True, initial="avant")
    quick = forms.ChoiceField(choices=[("", "Tous"), ("x", "X <1>")], required=False,
                              widget=QuickSelect(attrs={"class": "form-select"}))
    # A safe option label: Django's select.html prints it as it is, QuickSelect's helpers
    # escape it, so the renderer leaves this select to crispy.
    styled = forms.ChoiceField(choices=[("a", mark_safe("<i>A</i>"))], required=False)

    error_css_class = "has-error"
    required_css_class = "is-required"


@pytest.mark.parametrize("data", [None, {}, {
    "number": "1 234,5", "password": "x", "day": "2027-01-31", "when": "31.01.2027 08:00",
    "maybe": "true", "many": ["a", "c"], "boxes": ["b"], "single": "1", "agree": "on",
    "kept": "après", "initial-kept": "avant", "quick": "x", "styled": "a",
}], ids=["unbound", "empty", "filled"])
def test_other_widgets_are_crispys(data):
    form = EveryWidgetForm(data)
    assertHTMLEqual(form_html(form), as_crispy_form(EveryWidgetForm(data)))
    for name in form.fields:
        assertHTMLEqual(field_html(form[name]), as_crispy_field(EveryWidgetForm(data)[name]),
                        msg=f"field {name}")


def test_clearable_file_input_with_a_file_is_crispys():
    class Current:
        name, url = "contrat <2027>.pdf", "/media/contrat.pdf?a=1&b=2"

    class FileForm(forms.Form):
        document = forms.FileField(required=False, widget=forms.ClearableFileInput)

    for data in (None, {}):
        form = FileForm(data, initial={"document": Current()})
        fresh = FileForm(data, initial={"document": Current()})
        assertHTMLEqual(field_html(form["document"]), as_crispy_field(fresh["document"]))
