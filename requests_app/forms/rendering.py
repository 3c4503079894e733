"""Forms and fields with crispy-bootstrap5's markup, built in Python.

crispy renders each field through half a dozen templates (``field.html``, ``attrs.html``,
``help_text_and_errors.html``…): on the new request form they took ~14 ms of the page's
~16 ms of template time. ``field_html`` and ``form_html`` give what ``|as_crispy_field`` and
``|crispy`` give (``bootstrap5/field.html`` with its default context), as Django's admin
builds its change-list rows in Python. A widget they do not know is left to crispy, so the
output is always crispy's.
"""

from __future__ import annotations

import copy
from html import escape
from typing import Any

from crispy_forms.templatetags.crispy_forms_filters import (
    as_crispy_field,
    as_crispy_form,
)
from crispy_forms.templatetags.crispy_forms_filters import optgroups as crispy_optgroups
from crispy_forms.utils import TEMPLATE_PACK
from django import forms
from django.conf import settings
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.forms.utils import ErrorList
from django.forms.widgets import Input
from django.template.loader import get_template
from django.utils import formats
from django.utils.functional import Promise
from django.utils.safestring import SafeData, SafeString, mark_safe

from requests_app.forms.widgets import QuickSelect, select_html

_WIDGETS = "django/forms/widgets/"
# The templates that only include Django's input.html.
_INPUT_TEMPLATES = frozenset(f"{_WIDGETS}{name}.html" for name in (
    "input", "text", "email", "number", "password", "url", "date", "datetime", "time",
    "search", "tel", "hidden", "color", "checkbox",
))
_ASTERISK = '<span class="asteriskField">*</span>'


# --- what the templates print --------------------------------------------------------------------

def _text(value: Any) -> str:
    """``{{ value }}``: localised, then escaped unless already safe."""
    if not isinstance(value, str):
        value = formats.localize(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return escape(str(value))


def _value(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` (attribute values): a safe value stays unescaped."""
    return str(value) if isinstance(value, SafeData) else escape(str(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """Django's ``attrs.html`` (and crispy's): False left out, True bare, None as "None"."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_value(value)}"'
        for name, value in attrs.items() if value is not False
    )


def _unlocalize(value: Any) -> str:
    return _text(str(formats.localize(value, use_l10n=False)))


# --- widgets -------------------------------------------------------------------------------------

def _crispy_attrs(widget: forms.Widget, classes: str) -> dict[str, Any]:
    """The attrs ``CrispyFieldNode`` leaves on the widget (its class name lowercased, then
    ``classes``), on a copy: crispy changes the form's widget, this must not."""
    attrs = dict(widget.attrs)
    name = widget.__class__.__name__.lower()
    name = getattr(settings, "CRISPY_CLASS_CONVERTERS", {}).get(name, name)
    css = attrs.get("class", "")
    if not css:
        css = name
    elif css.find(name) == -1:  # crispy's test: a substring ("select" in "form-select")
        css += f" {name}"
    present = css.split()
    for token in classes.split():
        if token not in present:
            css += f" {token}"
    attrs["class"] = css
    return attrs


def _kind(widget: forms.Widget) -> str | None:
    """How the widget renders, when it is one whose markup this module knows."""
    render = type(widget).render
    if render is QuickSelect.render:
        return "quickselect"
    if render is not forms.Widget.render:
        return None
    if isinstance(widget, forms.Select):
        known = (widget.template_name == f"{_WIDGETS}select.html"
                 and widget.option_template_name == f"{_WIDGETS}select_option.html")
        return "django-select" if known else None
    if isinstance(widget, forms.Textarea):
        return "textarea" if widget.template_name == f"{_WIDGETS}textarea.html" else None
    if isinstance(widget, Input) and widget.template_name in _INPUT_TEMPLATES:
        return "input"
    return None


def _plain(value: Any) -> bool:
    return isinstance(value, str | Promise) and not isinstance(value, SafeData)


def _select_as_template(widget: dict[str, Any]) -> bool:
    """Whether ``select_html`` prints what Django's select.html would: they differ only on
    a None attribute, a safe string or a non-text label, none of which forms here use."""
    if any(value is None for value in widget["attrs"].values()):
        return False
    for group_name, group, _index in widget["optgroups"]:
        if group_name and not _plain(group_name):
            return False
        for option in group:
            if not _plain(option["label"]) or isinstance(option["value"], SafeData) or any(
                value is None or isinstance(value, SafeData)
                for value in option["attrs"].values()
            ):
                return False
    return True


def _as_template(context: dict[str, Any], kind: str) -> str | None:
    """What Django's template for the widget ``context`` prints, or None where it may differ."""
    name, value = _text(context["name"]), context["value"]
    if kind == "input":
        value_attr = "" if value is None else f' value="{_value(value)}"'
        return (f'<input type="{_text(context["type"])}" name="{name}"{value_attr}'
                f'{_attrs(context["attrs"])}>')
    if kind == "textarea":
        return (f'<textarea name="{name}"{_attrs(context["attrs"])}>\n'
                f'{_text(value) if value else ""}</textarea>')
    if _select_as_template(context):
        return select_html(context)
    return None


def _as_widget(field: BoundField, attrs: dict[str, Any]) -> str | None:
    """``BoundField.as_widget`` with the widget's attrs replaced by ``attrs``, or None for a
    widget this module does not know."""
    widget = field.field.widget
    kind = _kind(widget)
    if kind is None:
        return None
    if kind != "quickselect" and type(field.form.renderer) is not DjangoTemplates:
        return None  # another renderer may draw Django's widget templates its own way
    widget = copy.copy(widget)
    widget.attrs = attrs
    if field.field.localize:
        widget.is_localized = True
    extra = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in attrs:
        extra.setdefault("id", field.auto_id)
    html = (widget.render(field.html_name, field.value(), extra) if kind == "quickselect"
            else _as_template(widget.get_context(field.html_name, field.value(), extra)["widget"],
                              kind))
    if html is None:
        return None
    if field.field.show_hidden_initial:
        html += field.as_hidden(only_initial=True)
    return html


# --- crispy's field template ---------------------------------------------------------------------

def _errors(field: BoundField, errors: ErrorList) -> str:
    """``layout/field_errors_block.html``."""
    if not errors:
        return ""
    auto_id = _text(field.auto_id)
    items = "".join(f'<p id="error_{number}_{auto_id}"><strong>{_text(error)}</strong></p>'
                    for number, error in enumerate(errors, 1))
    return (f'<div id="{_text(getattr(errors, "field_id", ""))}_error" '
            f'class="invalid-feedback">{items}</div>')


def _help_text(field: BoundField) -> str:
    """``layout/help_text.html``: crispy prints help texts ``|safe``."""
    if not field.help_text:
        return ""
    id_attr = f'id="{_text(field.auto_id)}_helptext" ' if field.auto_id else ""
    return f'<div {id_attr}class="form-text">{field.help_text}</div>'


def _label_text(field: BoundField) -> str:
    return _text(field.label) + (_ASTERISK if field.field.required else "")


def _required(field: BoundField) -> str:
    return " requiredField" if field.field.required else ""


def _wrapper_class(field: BoundField, base: str) -> str:
    css = field.css_classes()
    return f"{base} {_text(css)}" if css else base


def _checkbox(field: BoundField, errors: ErrorList) -> str | None:
    classes = "form-check-input is-invalid" if errors else "form-check-input"
    control = _as_widget(field, _crispy_attrs(field.field.widget, classes))
    if control is None:
        return None
    return (f'<div class="mb-3"><div id="div_{_text(field.auto_id)}" '
            f'class="{_wrapper_class(field, "form-check")}">{control} '
            f'<label for="{_text(field.id_for_label)}" class="form-check-label'
            f'{_required(field)}">{_label_text(field)}</label>'
            f"{_errors(field, errors)}{_help_text(field)}</div></div>")


def _choices(field: BoundField, errors: ErrorList) -> str:
    """``layout/radio_checkbox_select.html``: radios or checkboxes, the errors after the
    last one."""
    input_class = "form-check-input is-invalid" if errors else "form-check-input"
    name = _text(field.html_name)
    groups = list(crispy_optgroups(field))
    parts = ["<div >"]
    for group_number, (group, options, _index) in enumerate(groups, 1):
        if group:
            parts.append(f"<strong>{_text(group)}</strong>")
        for option_number, option in enumerate(options, 1):
            attrs = option["attrs"]
            parts.append(
                f'<div class="form-check"><input type="{_text(option["type"])}" '
                f'class="{input_class}" name="{name}" value="{_unlocalize(option["value"])}"'
                f'{_attrs(attrs)}> <label for="{_text(attrs.get("id", ""))}" '
                f'class="form-check-label">{_unlocalize(option["label"])}</label>')
            if errors and option_number == len(options) and group_number == len(groups):
                parts.append(_errors(field, errors))
            parts.append("</div>")
    parts.append("</div>")
    parts.append(_help_text(field))
    return "".join(parts)


def _file(field: BoundField, errors: ErrorList) -> str:
    """``layout/field_file.html``: crispy draws the input itself, from the widget's context
    (``BoundField.subwidgets``), and leaves the widget's attrs alone."""
    widget = field.field.widget
    id_ = widget.attrs.get("id") or field.auto_id
    attrs = field.build_widget_attrs({"id": id_} if id_ else {})
    disabled = " disabled" if field.field.disabled else ""
    invalid = " is-invalid" if errors else ""
    wrapper = ' class="is-invalid"' if errors else ""
    after = _errors(field, errors) + _help_text(field)
    parts = []
    for data in widget.subwidgets(field.html_name, field.value(), attrs=attrs):
        if data.get("is_initial"):
            parts.append(_initial_file(field, data, disabled))
        own = data["attrs"].get("class")
        css = f" {_text(own)}" if own else ""
        others = {key: value for key, value in data["attrs"].items() if key != "class"}
        parts.append(
            f'<div{wrapper}><input type="{_text(data.get("type", ""))}" '
            f'name="{_text(data["name"])}" class="form-control{css}{invalid}"{disabled}'
            f"{_attrs(others)}>{after}</div>")
    return "".join(parts)


def _initial_file(field: BoundField, data: dict[str, Any], disabled: str) -> str:
    """The current file of a ``ClearableFileInput``, with its "clear" box."""
    value = field.value()
    clear = ""
    if not data["required"]:
        box = _text(data["checkbox_id"])
        clear = (f'<span class="align-self-center ml-2"><span class="form-check">'
                 f'<input type="checkbox" name="{_text(data["checkbox_name"])}" id="{box}" '
                 f'class="form-check-input"{disabled} > <label class="form-check-label mb-0" '
                 f'for="{box}">{_text(data["clear_checkbox_label"])}</label></span></span>')
    return (f'<div class="input-group mb-2"><span class="input-group-text">'
            f'{_text(data["initial_text"])}</span><div class="form-control d-flex h-auto">'
            f'<span class="text-break flex-grow-1"><a href="{_text(value.url)}">'
            f"{_text(value.name)}</a></span>{clear}</div></div>")


def _field(field: BoundField) -> str | None:
    """``bootstrap5/field.html`` for ``field``, or None when crispy must draw it."""
    widget = field.field.widget
    if hasattr(widget, "widgets") or hasattr(widget, "widget"):
        return None  # MultiWidget or a wrapper: crispy styles the inner widgets
    if field.is_hidden:
        return _as_widget(field, dict(widget.attrs))
    errors = field.errors
    if isinstance(widget, forms.CheckboxInput):
        return _checkbox(field, errors)
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        body: str | None = _choices(field, errors)
    elif isinstance(widget, forms.FileInput):
        body = _file(field, errors)
    else:
        classes = "form-select" if isinstance(widget, forms.Select) else "form-control"
        body = _as_widget(field, _crispy_attrs(widget, f"{classes} is-invalid" if errors
                                               else classes))
        if body is not None:
            body += _errors(field, errors) + _help_text(field)
    if body is None:
        return None
    label, end = "", ""
    if field.label:
        fieldset = field.use_fieldset
        tag = "legend" if fieldset else "label"
        id_for_label = field.id_for_label
        for_attr = f' for="{_text(id_for_label)}"' if id_for_label else ""
        label = (f'<{tag}{for_attr} class="form-label{_required(field)}'
                 f'{" fs-6" if fieldset else ""}">{_label_text(field)}</{tag}>')
        if fieldset:
            described = field.aria_describedby
            described_attr = f' aria-describedby="{_text(described)}"' if described else ""
            label = f"<fieldset{described_attr}>{label}"
            end = "</fieldset>"
    return (f'<div id="div_{_text(field.auto_id)}" class="{_wrapper_class(field, "mb-3")}">'
            f"{label}{body}{end}</div>")


def _non_field_errors(form: forms.BaseForm) -> str:
    """``bootstrap5/errors.html``."""
    errors = form.non_field_errors()
    if not errors:
        return ""
    items = "\n".join(f"\t<li>{_text(error)}</li>" for error in errors)
    return f'<div class="alert alert-block alert-danger"><ul class="m-0">{items}</ul></div>'


def _detached(field: BoundField) -> BoundField:
    """The field on a copy of its widget, for crispy: it changes the widget's attrs."""
    copied = copy.copy(field.field)
    copied.widget = copy.deepcopy(field.field.widget)
    return copied.get_bound_field(field.form, field.name)


def _crispy_field_in_form(field: BoundField) -> str:
    """A field crispy draws, in the context ``|crispy`` gives it (which ignores a helper)."""
    return get_template(f"{TEMPLATE_PACK}/field.html").render({
        "field": _detached(field), "field_class": "", "label_class": "", "form_show_errors": True,
        "form_show_labels": True, "field_template": f"{TEMPLATE_PACK}/field.html",
    })


# --- the public functions ------------------------------------------------------------------------

def field_html(bound_field: BoundField) -> SafeString:
    """What ``{{ field|as_crispy_field }}`` gives."""
    if not isinstance(bound_field, BoundField):
        return as_crispy_field(bound_field)  # crispy's error for a missing field
    # A form's helper changes what crispy's field template is given: crispy's business.
    if TEMPLATE_PACK == "bootstrap5" and getattr(bound_field.form, "helper", None) is None:
        html = _field(bound_field)
        if html is not None:
            return mark_safe(html)  # noqa: S308 - every value is escaped as crispy escapes it
    return as_crispy_field(_detached(bound_field))


def form_html(form: forms.BaseForm) -> SafeString:
    """What ``{{ form|crispy }}`` gives: the form's errors, then every field."""
    if TEMPLATE_PACK != "bootstrap5" or not isinstance(form, forms.BaseForm):
        return as_crispy_form(form)  # another pack or a formset: crispy draws it all
    parts = [_non_field_errors(form)]
    for field in form:
        html = _field(field)
        parts.append(html if html is not None else _crispy_field_in_form(field))
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped as crispy escapes it
