"""``{% queue_row row selected %}``: one row of an agent queue, built in Python.

A queue page shows 50 rows of about a hundred template nodes each; through the template engine
they took most of the page's time. Django's admin builds its change-list rows in Python for
the same reason (``contrib/admin/templatetags/admin_list.py``). The markup is the one the
queue template had; every value is escaped by ``format_html``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from requests_app.templatetags.spt import confirmed_awaiting_closure, status_label
from slo import display

register = template.Library()


def _badge(request: Any) -> SafeString:
    # The label from the enumeration (django-fsm's ``get_status_display`` is much slower).
    return format_html('<span class="badge-status badge-status-{}">{}</span>', request.status,
                       status_label(request.status))


@lru_cache(maxsize=16)
def _request_url_pattern(prefix: str) -> str:
    return reverse("agent:request", args=["SPT-0"])


def _request_url(key: str) -> str:
    """``reverse`` once per script prefix, then the key put in its place."""
    return _request_url_pattern(get_script_prefix()).replace("SPT-0", key)


def _confirmed(request: Any) -> SafeString:
    if confirmed_awaiting_closure(request):
        return format_html('<span class="agent-flag agent-flag-confirmed">{}</span>',
                           _("Confirmée"))
    return mark_safe("")


def _person(user: Any) -> str:
    return user.get_full_name() or user.username


def slo_cell(clocks: list) -> SafeString:
    """The queue's SLO cell: the clock that matters most now (the running one due first, else
    a paused one, else the verdict), as a badge with the time left or overdue."""
    clock = display.nearest_clock(list(clocks or []))
    if clock is None:
        return mark_safe("")
    if clock.is_stopped:
        text = capfirst(clock.state_label)
    elif clock.is_paused:
        text = _("En pause, %(remaining)s") % {"remaining": clock.remaining_text}
    else:
        text = capfirst(clock.remaining_text)
    return format_html(
        '<span class="slo-cell"><span class="slo-badge {}"><span class="visually-hidden">{} '
        '</span>{}</span> <span class="slo-cell-kind" aria-hidden="true">{}</span></span>',
        clock.badge_class, _("%(label)s :") % {"label": clock.label}, text, clock.label)


@register.simple_tag
def queue_row(row: dict[str, Any], selected: Any) -> SafeString:
    r = row["request"]
    badge, confirmed = _badge(r), _confirmed(r)
    priority = format_html('<span class="agent-priority agent-priority-{}">{}</span>',
                           r.priority.code, r.priority.name)
    organisation, type_name = r.organisation.name, r.request_type.name
    assignee_phone = format_html(" · {}", _person(r.assignee)) if r.assignee else ""
    assignee = (format_html("{}", _person(r.assignee)) if r.assignee else
                format_html('<span class="agent-muted">{}</span>', _("Personne")))
    slo = (slo_cell(row["clocks"]) if row["clocks"] else
           format_html('<span class="agent-muted">{}</span>', _("Sans SLO")))
    updated = timezone.localtime(r.updated_at)
    return format_html(
        '<tr><td class="agent-col-select">'
        '<input class="form-check-input" type="checkbox" name="bulk-requests" value="{ref}" '
        'id="agent-select-{number}" data-row-select{checked}>'
        '<label class="visually-hidden" for="agent-select-{number}">{tick}</label></td>'
        '<td class="agent-col-request"><a class="spt-ref" href="{url}">{key}</a> '
        '<span class="agent-row-title">{title}</span> '
        '<span class="agent-row-meta d-none d-md-block d-lg-none">{organisation} · {type}</span> '
        '<span class="agent-row-meta d-none d-lg-block d-xxl-none">{type}</span> '
        '<span class="agent-row-meta agent-row-meta-phone d-md-none">{badge}{confirmed_phone} '
        '{priority} <span class="d-block">{organisation}{assignee_phone}</span></span></td>'
        '<td class="d-none d-md-table-cell">{badge} {confirmed}</td>'
        '<td class="d-none d-md-table-cell">{priority}</td>'
        '<td class="d-none d-lg-table-cell">{organisation}</td>'
        '<td class="d-none d-xxl-table-cell">{type}</td>'
        '<td class="d-none d-md-table-cell">{assignee}</td>'
        '<td class="agent-col-slo">{slo}</td>'
        '<td class="d-none d-xl-table-cell agent-col-date"><time datetime="{iso}">{date}'
        '<span class="d-block agent-muted">{time}</span></time></td></tr>',
        ref=row["ref"], number=r.number,
        checked=mark_safe(" checked") if row["ref"] in selected else "",
        tick=_("Cocher %(key)s") % {"key": r.key},
        url=_request_url(r.key), key=r.key, title=r.title,
        organisation=organisation, type=type_name, badge=badge,
        confirmed_phone=format_html(" {}", confirmed) if confirmed else "",
        confirmed=confirmed, priority=priority, assignee_phone=assignee_phone,
        assignee=assignee, slo=slo, iso=updated.isoformat(),
        date=formats.date_format(updated, "SHORT_DATE_FORMAT"),
        time=formats.time_format(updated, "H:i"),
    )
