"""``{% queue_row row selected %}``: one row of an agent queue, built in Python.

A queue page shows 50 rows of about a hundred template nodes each; through the template engine
they took most of the page's time. Django's admin builds its change-list rows in Python for
the same reason (``contrib/admin/templatetags/admin_list.py``). The markup is the one the
queue template had; every value is escaped (``html.escape``; Django's ``format_html`` checks
every argument for laziness and was a third of the rows' time).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from requests_app.templatetags.row_html import escaped as _e
from requests_app.templatetags.row_html import escaped_name, local_text, url_of
from requests_app.templatetags.spt import confirmed_awaiting_closure, status_badge_html
from requests_app.workflow import RequestStatus
from slo import display

register = template.Library()


@lru_cache(maxsize=8)
def _texts(language: str | None) -> dict[str, str]:
    """The row's fixed words in a language, translated once: fifty rows asked the catalogue
    for each of them every time. The catalogues do not change while the process runs."""
    return {
        "nobody": _e(_("Non assignée")), "no_slo": _e(_("Sans SLO")),
        "confirmed": _e(_("Confirmée")), "tick": _("Cocher %(key)s"),
        "kind": _("%(label)s :"), "paused": _("En pause, %(remaining)s"),
        **{f"status-{code}": str(label) for code, label in RequestStatus.choices},
    }


def _badge(request: Any, texts: dict[str, str]) -> str:
    # The label from the enumeration (django-fsm's ``get_status_display`` is much slower).
    return status_badge_html(request.status, texts.get(f"status-{request.status}"))


def _slo_cell(clock: display.ClockView, texts: dict[str, str]) -> str:
    """The queue's SLO cell: the clock that matters most now (``display.
    nearest_clock_views_for``), as a badge with the time left or overdue."""
    if clock.is_stopped:
        text = capfirst(clock.state_label)
    elif clock.is_paused:
        text = texts["paused"] % {"remaining": clock.remaining_text}
    else:
        text = capfirst(clock.remaining_text)
    return (
        f'<span class="slo-cell"><span class="slo-badge {clock.badge_class}">'
        f'<span class="visually-hidden">{_e(texts["kind"] % {"label": clock.label})} </span>'
        f'{_e(text)}</span> <span class="slo-cell-kind" aria-hidden="true">'
        f'{_e(clock.label)}</span></span>'
    )


def slo_cell(clock: display.ClockView) -> SafeString:
    return mark_safe(_slo_cell(clock, _texts(get_language())))  # noqa: S308 - escaped


@register.simple_tag
def queue_row(row: dict[str, Any], selected: Any) -> SafeString:
    """One line per request from the medium breakpoint up: the key and the title together as
    the request's link (the title cut to the column, whole in the link's text and its
    tooltip), then status, priority, organisation, type (widest screens), assignee, SLO and
    last change, each on one line. On a phone, what the hidden columns say stacks under the
    link."""
    texts = _texts(get_language())
    r = row["request"]
    key, ref, title = _e(r.key), _e(row["ref"]), _e(r.title)
    badge = _badge(r, texts)
    confirmed = (f'<span class="agent-flag agent-flag-confirmed">{texts["confirmed"]}</span>'
                 if confirmed_awaiting_closure(r) else "")
    priority = (f'<span class="agent-priority agent-priority-{escaped_name(r.priority.code)}">'
                f'{escaped_name(r.priority.name)}</span>')
    organisation = escaped_name(r.organisation.name)
    type_name = escaped_name(r.request_type.name)
    assignee_name = escaped_name(r.assignee_name)
    assignee_phone = f" · {assignee_name}" if assignee_name else ""
    assignee = assignee_name or f'<span class="agent-muted">{texts["nobody"]}</span>'
    slo = (_slo_cell(row["clock"], texts) if row["clock"] is not None else
           f'<span class="agent-muted">{texts["no_slo"]}</span>')
    updated = timezone.localtime(r.updated_at)
    updated_day = _e(local_text(updated, "SHORT_DATE_FORMAT", is_local=True))
    checked = " checked" if row["ref"] in selected else ""
    # ``from``: the queue as its page shows it, for the request page's "Demande suivante".
    url = _e(url_of("agent:request", "key", r.key) + row.get("from", ""))
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<tr><td class="agent-col-select">'
        f'<input class="form-check-input" type="checkbox" name="bulk-requests" value="{ref}" '
        f'id="agent-select-{r.number}" data-row-select{checked}>'
        f'<label class="visually-hidden" for="agent-select-{r.number}">'
        f'{_e(texts["tick"] % {"key": r.key})}</label></td>'
        f'<td class="agent-col-request"><a class="agent-row-link" href="{url}" '
        f'title="{key} {title}"><span class="spt-ref">{key}</span> '
        f'<span class="agent-row-title">{title}</span></a>'
        f'<span class="agent-row-meta d-none d-md-block d-lg-none">{organisation}</span>'
        f'<span class="agent-row-meta agent-row-meta-phone d-md-none">{badge}'
        f'{" " + confirmed if confirmed else ""} {priority} '
        f'<span class="d-block">{organisation}{assignee_phone}</span></span></td>'
        f'<td class="d-none d-md-table-cell agent-col-status">{badge}'
        f'{" " + confirmed if confirmed else ""}</td>'
        f'<td class="d-none d-md-table-cell agent-col-priority">{priority}</td>'
        f'<td class="d-none d-lg-table-cell"><span class="agent-cut" title="{organisation}">'
        f'{organisation}</span></td>'
        f'<td class="d-none d-xxl-table-cell"><span class="agent-cut">{type_name}</span></td>'
        f'<td class="d-none d-md-table-cell"><span class="agent-cut">{assignee}</span></td>'
        f'<td class="agent-col-slo">{slo}</td>'
        f'<td class="d-none d-xl-table-cell agent-col-date">'
        f'<time datetime="{updated.isoformat()}" title="{updated_day} {updated:%H:%M}">'
        f'{updated_day}<span class="agent-muted d-none d-xxl-inline"> {updated:%H:%M}</span>'
        f'</time></td></tr>'
    )
