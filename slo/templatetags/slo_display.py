"""Template helpers of the SLO partials (``{% load slo_display %}``)."""

from __future__ import annotations

from django import template

from slo import display

register = template.Library()


@register.simple_tag
def slo_customer_status(clocks) -> str | None:
    """``{% slo_customer_status clocks as status %}``: "on_time", "late" or None."""
    return display.customer_status(list(clocks or []))


@register.filter
def slo_clock_label(kind: str) -> str:
    """``{{ event.payload.clock|slo_clock_label }}``: "Première réponse" / "Résolution"."""
    return display.clock_label(kind)
