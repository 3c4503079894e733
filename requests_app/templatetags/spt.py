"""Presentation helpers shared by the customer and agent pages. ``{% load spt %}``.

Filters
  ``{{ text|markdown }}``             sanitised HTML of Markdown text
  ``{{ 12|spt_key }}``                "SPT-12" (a number, or a Request)
  ``{{ user|person }}``               full name, else the username; "—" for nobody
  ``{{ user|person:viewer }}``        the same, or "vous" when it is the viewer
  ``{{ "open"|status_label }}``       the translated label of a status code
  ``{{ request|status_meaning }}``    Signification of the status (a Request or a code); after
                                      the client confirmed a resolution: closing pending
  ``{{ request|expected_by }}``       "Traitement attendu par" (a Request or a code); after the
                                      client confirmed a resolution: Customer Service
  ``{{ request|detail_items }}``      [(label, value), …] of the type's own fields in ``details``
  ``{{ event|timeline_variant }}``    the CSS variant of a history line (comment, status, …)
Tags
  ``{% status_badge request %}``      the status badge (a Request, or a code and a label)
  ``{% status_badge "open" %}``
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app.markdown import render_markdown
from requests_app.models import KEY_PREFIX, EventKind, Request
from requests_app.people import person_name
from requests_app.permissions import is_back_office
from requests_app.selectors.directory import unnamed_for_customers
from requests_app.workflow import (
    EXPECTED_BY,
    EXPECTED_BY_BACK_OFFICE,
    STATUS_MEANING,
    TRANSITIONS,
    ConfirmationState,
    RequestStatus,
    action_label,
)

register = template.Library()

# Labels of the type fields stored in ``Request.details`` (DESIGN §1: Patch and Licence).
DETAIL_LABELS = {
    "time_window": gettext_lazy("Fenêtre d'application souhaitée"),
    "patch_reference": gettext_lazy("Référence du correctif"),
    "modules": gettext_lazy("Modules"),
    "users": gettext_lazy("Nombre d'utilisateurs"),
    "validity": gettext_lazy("Validité"),
}


def _status_code(value: Any) -> str:
    return getattr(value, "status", value) or ""


@register.filter(is_safe=True)
def markdown(text: str | None) -> SafeString:
    return render_markdown(text)


@register.filter
def spt_key(value: Any) -> str:
    number = getattr(value, "number", value)
    return f"{KEY_PREFIX}{number}" if number not in (None, "") else ""


@register.filter
def person(user: Any, viewer: Any = None) -> str:
    if user is None:
        return "—"
    if viewer is not None and getattr(viewer, "pk", None) == user.pk:
        return _("vous")
    if viewer is not None and not is_back_office(viewer) and unnamed_for_customers(user.pk):
        return "Customer Service"
    return person_name(user)


@register.filter
def status_label(code: str) -> str:
    try:
        return str(RequestStatus(code).label)
    except ValueError:
        return code or ""


def confirmed_awaiting_closure(value: Any) -> bool:
    # The client confirmed the resolution: the status is still En attente client, but what is
    # left (closing) is Customer Service's, not theirs (DESIGN §3).
    return (
        _status_code(value) == RequestStatus.AWAITING_CUSTOMER
        and getattr(value, "confirmation_state", "") == ConfirmationState.CONFIRMED
    )


@register.filter
def status_meaning(value: Any) -> str:
    if confirmed_awaiting_closure(value):
        return _("La résolution a été confirmée ; le Customer Service va clore la demande")
    return str(STATUS_MEANING.get(_status_code(value), ""))


@register.filter
def expected_by(value: Any, reader: str = "") -> str:
    """Who is to act now, as the client reads it, or the back office (``"back_office"``)."""
    if confirmed_awaiting_closure(value):
        return _("Customer Service (clôture de la demande)")
    table = EXPECTED_BY_BACK_OFFICE if reader == "back_office" else EXPECTED_BY
    return str(table.get(_status_code(value), "—"))


@register.filter
def detail_items(request: Any) -> list[tuple[str, Any]]:
    details = getattr(request, "details", None) or {}
    return [(str(DETAIL_LABELS.get(key, key)), value) for key, value in details.items()
            if value not in (None, "")]


_VARIANTS: dict[str, str] = {
    EventKind.COMMENTED: "comment",
    EventKind.INTERNAL_NOTE: "internal",
    EventKind.STATUS_CHANGED: "status",
    EventKind.CREATED: "status",
    EventKind.FIELD_CHANGED: "field",
    EventKind.ASSIGNED: "field",
    EventKind.PARTICIPANT_ADDED: "field",
    EventKind.PARTICIPANT_REMOVED: "field",
    EventKind.MUTED: "field",
    EventKind.UNMUTED: "field",
    EventKind.ATTACHMENT_ADDED: "attachment",
    EventKind.CONFIRMATION_REQUESTED: "confirmation",
    EventKind.CONFIRMED: "confirmation",
    EventKind.DENIED: "confirmation",
    EventKind.SATISFACTION_RATED: "confirmation",
    EventKind.SLO_WARNING: "slo",
    EventKind.SLO_BREACHED: "slo",
    EventKind.SLO_BREACH_LIFTED: "slo",
}


@register.filter
def timeline_variant(event: Any) -> str:
    return _VARIANTS.get(getattr(event, "kind", ""), "field")


def status_badge_html(code: str, label: Any = None) -> str:
    """A status as a badge: colour AND text, styled in static/css/spt.css (the label of the
    code, or ``label``; the code itself for an unknown one)."""
    text = label if label is not None else status_label(code)
    return (f'<span class="badge-status badge-status-{escape(code, quote=True)}">'
            f"{escape(str(text or code))}</span>")


def customer_status_badge_html(request: Any) -> str:
    """The status as the client reads it: once they confirmed the resolution, what is left
    is Customer Service's closing, not a wait for them (the status is still En attente
    client)."""
    if confirmed_awaiting_closure(request):
        label = _("Confirmée — clôture par le Customer Service")
        return f'<span class="badge-status badge-status-confirmed">{escape(label)}</span>'
    return status_badge_html(_status_code(request))


@register.simple_tag
def customer_status_badge(request: Any) -> SafeString:
    """``{% customer_status_badge request %}``: the portal's status badge."""
    return mark_safe(customer_status_badge_html(request))  # noqa: S308 - escaped


@register.simple_tag
def status_badge(value: Any, label: str | None = None) -> SafeString:
    """``{% status_badge request %}`` or ``{% status_badge "open" %}``: built here, not by a
    template (a list page shows dozens)."""
    return mark_safe(status_badge_html(_status_code(value), label))  # noqa: S308 - escaped


@register.filter
def transition_label(name: str, fallback: str = "") -> str:
    """The action's label in the reader's language (the history stores the writer's)."""
    return action_label(name) if name in TRANSITIONS else fallback


@register.filter
def field_label(name: str, fallback: str = "") -> str:
    """A request field's name in the reader's language."""
    try:
        return str(Request._meta.get_field(name).verbose_name)
    except (FieldDoesNotExist, TypeError):
        return fallback
