"""``{% portal_row row clocks %}``: one row of the customer's list (``selectors.portal.
PortalRow``), built in Python.

The list shows 25 rows of about forty template nodes each (and a template per status badge
and SLO badge); through the template engine they took most of the page's time, as the queue
rows did (``agent_queue``). The markup is the one the list template had; every value is
escaped.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from requests_app.templatetags.row_html import escaped as _e
from requests_app.templatetags.row_html import escaped_name, local_text, url_of
from requests_app.templatetags.spt import customer_status_badge_html
from slo import display

register = template.Library()


@lru_cache(maxsize=8)
def _texts(language: str | None) -> dict[str, str]:
    """The row's fixed words in a language, translated once (the catalogues do not change
    while the process runs)."""
    return {
        "priority": _e(_("Priorité")), "updated": _e(_("modifiée le")), "by": _("par %(name)s"),
        display.LATE: f'<span class="slo-badge slo-late">{_e(_("En retard"))}</span>',
        display.ON_TIME: f'<span class="slo-badge slo-ok">{_e(_("Dans les délais"))}</span>',
    }


@register.simple_tag(takes_context=True)
def portal_row(context: Any, request: Any, clocks: list) -> SafeString:
    texts = _texts(get_language())
    viewer = context.get("user")
    key = _e(request.key)
    type_name, priority = escaped_name(request.request_type.name), escaped_name(
        request.priority.name)
    local_updated = timezone.localtime(request.updated_at)
    updated = local_text(local_updated, is_local=True)
    by = ""
    if viewer is None or request.reporter_id != viewer.pk:
        name = request.reporter_name
        by = f'<span class="d-lg-none"> · </span>{_e(texts["by"] % {"name": name})}'
    slo = ""
    if request.request_type.subject_to_slo and clocks:
        status = display.customer_status(list(clocks))
        slo = f'<div class="mt-1">{texts[status]}</div>' if status in texts else ""
    url = url_of("portal:request", "key", request.key)
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<tr><td><a href="{_e(url)}" class="d-block fw-semibold text-decoration-none">'
        f'<span class="spt-ref">{key}</span> '
        f'<span class="text-decoration-underline">{_e(request.title)}</span></a>'
        f'<span class="d-block small text-body-secondary">'
        f'<span class="d-md-none">{type_name} · </span>'
        f'<span class="d-lg-none">{texts["priority"]} {priority}</span>{by}'
        f'<span class="d-md-none"> · {texts["updated"]} {_e(updated)}</span></span></td>'
        f"<td>{customer_status_badge_html(request)}{slo}</td>"
        f'<td class="d-none d-md-table-cell">{type_name}</td>'
        f'<td class="d-none d-lg-table-cell">{priority}</td>'
        f'<td class="d-none d-md-table-cell text-nowrap">'
        f'<time datetime="{local_updated.isoformat()}">'
        f"{_e(updated)}</time></td></tr>"
    )
