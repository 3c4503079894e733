"""``{% load canned_replies %}``: ``{% canned_reply_picker req form %}``, the "Insérer une
réponse type" control for the text box of ``form`` (its first ``<textarea>``) on the agent
page of request ``req``; nothing for a form without one."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def canned_reply_picker(request_obj: Any, form: forms.BaseForm | None) -> SafeString:
    if form is None or request_obj is None:
        return SafeString("")
    field = next((bound for bound in form if isinstance(bound.field.widget, forms.Textarea)),
                 None)
    if field is None:
        return SafeString("")
    target_id = field.id_for_label
    picker_id = f"canned-{target_id}"
    pick_url = reverse("agent:canned_reply_pick", args=[request_obj.key])
    return mark_safe(render_to_string("agent/canned_replies/picker.html", {
        "picker_id": picker_id,
        "target_id": target_id,
        "pick_url": f"{pick_url}?{urlencode({'picker': picker_id})}",
        "req": request_obj,
    }))
