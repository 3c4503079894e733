"""``{% queue_nav_lists nav_queues current %}``: the side navigation's queue lists, built in
Python (on every back-office page, and again every minute: its template's loops and URL
lookups were a millisecond of each). The markup is the one ``agent/queues/nav.html`` had."""

from __future__ import annotations

from functools import lru_cache
from itertools import groupby
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from requests_app.templatetags.row_html import escaped as _e
from requests_app.templatetags.row_html import url_of

register = template.Library()


@lru_cache(maxsize=8)
def _texts(language: str | None) -> dict[str, str]:
    return {"mine": _e(_("Vos files")), "others": _e(_("Autres files")),
            "all": _e(_("Toutes les files")), "requests": _e(_("demande(s)"))}


@register.simple_tag
def queue_nav_lists(items: list[dict[str, Any]], current: str = "") -> SafeString:
    texts = _texts(get_language())
    groups = [(mine, list(group)) for mine, group in groupby(items, key=lambda i: i["mine"])]
    parts = []
    for mine, group in groups:
        heading = texts["mine"] if mine else texts["others"] if len(groups) > 1 else texts["all"]
        links = []
        for item in group:
            slug, count = item["queue"].slug, item["count"]
            badge = ""
            if count is not None:
                some = " agent-count-some" if count else ""
                unit = item["queue"].count_unit
                unit = texts["requests"] if unit is None else _e(unit)
                badge = (f'<span class="agent-count{some}">{_e(count)}<span '
                         f'class="visually-hidden"> {unit}</span></span>')
            here = ' aria-current="page"' if slug == current else ""
            url = _e(url_of("agent:queue", "queue", slug, marker="SLUG"))
            links.append(
                f'<li><a class="agent-queue-link" href="{url}"'
                f'{here}><span class="agent-queue-name">{_e(item["queue"].label)}</span>'
                f"{badge}</a></li>")
        parts.append(f'<h2 class="agent-nav-heading">{heading}</h2>'
                     f'<ul class="agent-queue-list">{"".join(links)}</ul>')
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
