"""The shared components of static/css/spt.css and the generic partials, rendered together on
one sample page: WCAG 2.1 AA (contrast included) at desktop and phone width, no sideways
scrolling on a phone, and screenshots to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django import forms
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.core.paginator import Paginator
from django.template import engines
from django.test import RequestFactory
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    PHONE,
    assert_no_axe_violations,
    has_horizontal_overflow,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parent / "components.html"
STATUSES = [
    ("open", "Ouvert"),
    ("qualified", "Qualifié"),
    ("in_progress", "En cours"),
    ("awaiting_triage", "En attente triage"),
    ("awaiting_rnd", "En attente R&D"),
    ("awaiting_customer", "En attente client"),
    ("closed", "Fermé"),
]


class CommentForm(forms.Form):
    body = forms.CharField(label="Commentaire")


def render_sample(live_server) -> str:
    form = CommentForm(data={"body": ""})
    form.is_valid()
    form.add_error(None, "La demande a été modifiée entre-temps : rechargez la page.")
    request = RequestFactory().get("/portal/", {"status": "open", "page": 2})
    messages = [
        Message(constants.SUCCESS, "Votre commentaire a été ajouté."),
        Message(constants.ERROR, "Cette demande est fermée : elle n’accepte plus de commentaire."),
    ]
    template = engines["django"].from_string(SAMPLE.read_text(encoding="utf-8"))
    return template.render(
        {
            "static_root": f"{live_server.url}/static/",
            "statuses": STATUSES,
            "form": form,
            "messages": messages,
            "page_obj": Paginator(range(60), 20).page(2),
        },
        request=request,
    )


def test_components_are_accessible_at_desktop_and_phone_width(page: Page, live_server) -> None:
    page.set_content(render_sample(live_server), wait_until="load")
    expect(page.locator(".badge-status-awaiting_customer").first).to_have_text("En attente client")
    expect(page.locator(".internal-note-label")).to_have_text("Note interne")
    expect(page.get_by_role("link", name="Suivante")).to_have_attribute(
        "href", "?status=open&page=3"
    )
    # The stylesheet did load (a grey page, white cards).
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(244, 246, 249)", background

    assert_no_axe_violations(page, context="components, desktop")
    screenshot(page, "components-desktop")

    page.set_viewport_size(PHONE)
    assert not has_horizontal_overflow(page), "the components scroll sideways at 375 px"
    assert_no_axe_violations(page, context="components, phone")
    screenshot(page, "components-phone")


@pytest.mark.django_db(transaction=True)
def test_a_request_to_another_site_is_aborted_and_recorded(new_context, live_server) -> None:
    """The guard every test's context carries: nothing leaves this machine, and what tried
    is recorded (the ``context`` fixture fails the test with it); the portal's own requests
    pass untouched."""
    from tests.browser.conftest import _guard_local_only

    context = new_context()
    blocked = _guard_local_only(context)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    own = page.evaluate("() => fetch('/accounts/login/').then((r) => r.status)")
    outside = page.evaluate(
        "() => fetch('https://cdn.example.invalid/lib.js').then(() => 'loaded', () => 'failed')"
    )
    assert own == 200
    assert outside == "failed"
    assert blocked == ["https://cdn.example.invalid/lib.js"]
    context.close()
