"""``{% saved_view_nav_list nav_saved_views current_view %}``: the side navigation's saved
views under their own heading, built in Python like the queue lists beside them
(``agent_nav``), with the same markup: each view a link to its queue and filters, its count
when the navigation is counted."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from requests_app.templatetags.row_html import escaped as _e

register = template.Library()


@lru_cache(maxsize=8)
def _texts(language: str | None) -> dict[str, str]:
    return {"heading": _e(_("Vues enregistrées")), "requests": _e(_("demande(s)")),
            "shared": _("partagée avec %(role)s")}


@register.simple_tag
def saved_view_nav_list(items: list[Any] | None, current: Any = None) -> SafeString:
    if not items:
        return mark_safe("")
    texts = _texts(get_language())
    current_pk = getattr(current, "pk", None)
    links = []
    for item in items:
        read, count = item.read, item.count
        badge = ""
        if count is not None:
            some = " agent-count-some" if count else ""
            badge = (f'<span class="agent-count{some}">{_e(count)}<span '
                     f'class="visually-hidden"> {texts["requests"]}</span></span>')
        shared = ""
        if read.view.shared_role:
            shared = (f'<span class="agent-saved-view-role">'
                      f'{_e(texts["shared"] % {"role": read.view.shared_role})}</span>')
        here = ' aria-current="page"' if read.pk == current_pk else ""
        links.append(
            f'<li><a class="agent-queue-link agent-saved-view-link" href="{_e(read.url)}"'
            f'{here}><span class="agent-queue-name">{_e(read.view.name)}{shared}</span>'
            f"{badge}</a></li>")
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<h2 class="agent-nav-heading" id="agent-saved-views-heading">{texts["heading"]}</h2>'
        f'<ul class="agent-queue-list agent-saved-view-list" '
        f'aria-labelledby="agent-saved-views-heading">{"".join(links)}</ul>')
