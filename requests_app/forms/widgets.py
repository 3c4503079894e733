"""Widgets rendered in Python where Django's per-option templates cost too much.

Django renders each ``<option>`` of a select through a template of its own: for the 200
organisations of a queue filter that alone took longer than the rest of the page. Django's
admin builds its change-list rows in Python for the same reason (``admin_list``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import SafeString, mark_safe


def _attributes(attrs: dict[str, Any]) -> str:
    """``flatatt``'s output (True: the bare name; False or None: left out), without its
    per-attribute ``format_html``."""
    out = []
    for key, value in attrs.items():
        if value is True:
            out.append(f" {key}")
        elif value is not False and value is not None:
            out.append(f' {key}="{escape(str(value), quote=True)}"')
    return "".join(out)


def _options(group: list[dict[str, Any]]) -> str:
    return "".join(
        f'<option value="{escape(str(option["value"]), quote=True)}"'
        f'{_attributes(option["attrs"])}>{escape(str(option["label"]))}</option>'
        for option in group
    )


def select_html(widget: dict[str, Any]) -> SafeString:
    """The ``<select>`` of a select's widget context (``get_context(...)["widget"]``): what
    ``QuickSelect`` renders, shared with ``forms/rendering.py``."""
    parts = []
    for group_name, group, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'<optgroup label="{escape(str(group_name), quote=True)}">'
                         f"{_options(group)}</optgroup>")
        else:
            parts.append(_options(group))
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<select name="{escape(widget["name"], quote=True)}"{flatatt(widget["attrs"])}>'
        f'{"".join(parts)}</select>')


class QuickSelect(forms.Select):
    """A ``Select`` with the same markup as Django's, its options rendered in Python straight
    from its choices (Django first builds a dictionary per option: half the time of a select
    of 200 organisations)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        values = set(self.format_value(value))
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        parts: list[str] = []
        selected_one = False  # as Django's optgroups: one selected option at most, unless multiple

        def option(option_value: Any, label: Any) -> str:
            nonlocal selected_one
            text = "" if option_value is None else str(option_value)
            selected = (text in values and (self.allow_multiple_selected or not selected_one))
            selected_one |= selected
            return (f'<option value="{escape(text, quote=True)}"{" selected" if selected else ""}>'
                    f"{escape(str(label))}</option>")

        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                options = "".join(option(sub_value, sub_label) for sub_value, sub_label in label)
                parts.append(f'<optgroup label="{escape(str(option_value), quote=True)}">'
                             f"{options}</optgroup>")
            else:
                parts.append(option(option_value, label))
        return mark_safe(  # noqa: S308 - every value above is escaped
            f'<select name="{escape(name, quote=True)}"{flatatt(attrs)}>{"".join(parts)}</select>')
