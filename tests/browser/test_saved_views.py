"""Saved views in a real browser: an agent saves a filtered queue under a name, finds it in
the side navigation with its count, and opening it shows the queue filtered; the queue page
with its one-line rows, its numbered pages and its saved-view panels passes axe at desktop
and phone width (screenshots var/screenshots/saved-views-*.png)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from requests_app.models import SavedView
from requests_app.workflow import RequestStatus as S
from tests import factories
from tests.browser.helpers import (
    audit_at_both_widths,
    login,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def audit(page: Page, name: str) -> None:
    audit_at_both_widths(page, name, prefix="saved-views")


@pytest.fixture
def desk(walk, client_user, outsider, servicedesk):
    for index in range(3):
        walk(S.OPEN, priority_code="high", title=f"Écriture de clôture refusée n° {index}")
    walk(S.IN_PROGRESS, title="Rapprochement bancaire bloqué depuis la mise à jour 24.1")
    factories.make_request(outsider, title="Étiquettes logistiques mal alignées",
                           priority_code="blocking")
    # Enough for numbered pages (50 a page).
    for index in range(52):
        walk(S.OPEN, priority_code="low", title=f"Question sur l'export TVA {index}")


def test_an_agent_saves_a_view_and_opens_it_from_the_sidebar(page: Page, live_server,
                                                             desk) -> None:
    login(page, live_server, "servicedesk")
    page.goto(f"{live_server.url}/agent/queues/toutes-ouvertes/")
    page.wait_for_selector(".agent-count")  # the sidebar's counts, after the page
    # One line per request at desktop width: each row's cells share one baseline band.
    row = page.locator(".agent-queue-table tbody tr").first
    expect(row.locator("a")).to_have_count(1)
    assert row.bounding_box()["height"] < 48
    audit(page, "queue")

    page.get_by_label("Priorité", exact=True).select_option(label="Haute")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"priority="))
    page.get_by_text("Enregistrer cette vue").click()
    page.get_by_label("Nom de la vue").fill("Hautes ouvertes")
    page.get_by_label("Visible par").select_option(label="Vous et le rôle ServiceDesk")
    audit(page, "save-panel")
    page.get_by_role("button", name="Enregistrer la vue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Hautes ouvertes")
    expect(page.get_by_role("alert").or_(page.locator(".alert-success"))).to_contain_text(
        "Vue « Hautes ouvertes » enregistrée et partagée avec le rôle ServiceDesk.")
    assert SavedView.objects.get().name == "Hautes ouvertes"
    link = page.locator("#agent-queue-nav-list a", has_text="Hautes ouvertes")
    expect(link).to_have_attribute("aria-current", "page")
    # Its count arrives with the sidebar's, and is the queue's.
    expect(link.locator(".agent-count")).to_have_text(re.compile(r"^3 "))
    expect(page.locator("#agent-queue-count")).to_have_text("(3)")
    audit(page, "view")

    # Elsewhere, the sidebar opens it again: the queue, filtered.
    page.goto(f"{live_server.url}/agent/queues/a-qualifier/")
    page.locator("#agent-queue-nav-list a", has_text="Hautes ouvertes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hautes ouvertes")
    expect(page.locator(".agent-queue-table tbody tr")).to_have_count(3)
    expect(page.locator("#agent-queue-nav-list a", has_text="Hautes ouvertes")
           ).to_have_attribute("aria-current", "page")

    page.get_by_text("Gérer cette vue").click()
    page.get_by_label("Nouveau nom").fill("Hautes priorités")
    audit(page, "manage-panel")
    page.get_by_role("button", name="Renommer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hautes priorités")


def test_numbered_pages(page: Page, live_server, desk) -> None:
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/agent/queues/a-qualifier/?sort=newest")
    pages = page.get_by_role("navigation", name="Pages de la file")
    expect(pages.locator("[aria-current=page]")).to_have_text("Page 1")
    pages.get_by_role("link", name="Page 2").click()
    expect(page).to_have_url(re.compile(r"\?sort=newest&page=2$"))
    expect(pages.locator("[aria-current=page]")).to_have_text("Page 2")
    audit(page, "page-2")
