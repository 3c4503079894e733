"""``{% load spt_forms %}``: ``{{ form|render_form }}`` and ``{{ field|render_field }}``, the
markup of ``|crispy`` and ``|as_crispy_field`` built in Python (``forms/rendering.py``)."""

from __future__ import annotations

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

from requests_app.forms.rendering import field_html, form_html

register = template.Library()


@register.filter
def render_form(form: forms.BaseForm) -> SafeString:
    return form_html(form)


@register.filter
def render_field(field: BoundField) -> SafeString:
    return field_html(field)
