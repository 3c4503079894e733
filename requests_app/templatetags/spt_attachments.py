"""``{% load spt_attachments %}``: ``{{ attachment.content_type|preview_kind }}`` is "image",
"pdf" or "" — whether the attachment list offers to look at it in the page (the preview view
checks the file's bytes again before showing anything)."""

from __future__ import annotations

from django import template

from requests_app.attachment_types import preview_kind as _preview_kind

register = template.Library()


@register.filter
def preview_kind(content_type: str) -> str:
    return _preview_kind(content_type or "") or ""
