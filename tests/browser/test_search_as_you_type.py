"""Results as one types, in a real browser: the customer list narrows under the search box
without a page load, the address follows, the polite region says how many were found; the
same in the back office's side search box, from another page. Under the portal's strict CSP."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from requests_app import services
from tests import factories
from tests.browser.helpers import assert_no_axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rows(page: Page):
    return page.locator("#spt-results tbody tr")


def test_the_customer_list_narrows_as_the_client_types(strict_csp_page: Page, live_server,
                                                       client_user, servicedesk) -> None:
    page = strict_csp_page
    closing = factories.make_request(client_user, title="Clôture mensuelle bloquée")
    invoice = factories.make_request(client_user, title="Facture fournisseur en double")
    services.comment_add(actor=servicedesk, request=invoice, body="Voir l'échéancier.")
    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/")
    expect(rows(page)).to_have_count(2)
    # A mark on this document: still there after the search, no page was loaded.
    page.evaluate("() => { window.sptSameDocument = true; }")

    box = page.get_by_role("searchbox", name="Rechercher")
    box.press_sequentially("CLOT", delay=40)
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(closing.key)
    expect(page.locator("#spt-search-status")).to_have_text("1 demande")
    expect(page).to_have_url(re.compile(r"/portal/\?q=CLOT"))
    assert page.evaluate("() => window.sptSameDocument") is True
    assert box.evaluate("(element) => element === document.activeElement")

    box.fill("echeancier")  # a word of a comment only, accents aside
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text(invoice.key)
    box.fill("introuvable")
    expect(page.locator("#spt-results .spt-empty")).to_contain_text(
        "Aucune demande ne correspond à ces critères.")
    expect(page.locator("#spt-search-status")).to_have_text(
        "Aucune demande ne correspond à ces critères.")
    assert page.evaluate("() => window.sptSameDocument") is True
    assert not page.spt_errors, page.spt_errors
    screenshot(page, "portal-list-search-typed")

    # The address is the search's: loaded on its own, the whole page with the same results.
    page.goto(f"{live_server.url}/portal/?q=clot")
    expect(rows(page)).to_have_count(1)
    expect(box).to_have_value("clot")


def test_the_side_search_box_shows_the_results_in_place(page: Page, live_server, client_user,
                                                        servicedesk) -> None:
    note = factories.make_request(client_user, title="Écriture TVA refusée")
    services.comment_add(actor=servicedesk, request=note, body="Geste commercial convenu.",
                         is_internal=True)
    factories.make_request(client_user, title="Inventaire annuel")
    login(page, live_server, "servicedesk")
    page.goto(f"{live_server.url}/agent/queues/a-qualifier/")
    page.evaluate("() => { window.sptSameDocument = true; }")
    page.get_by_role("searchbox", name="Rechercher une demande").press_sequentially(
        "commercial", delay=30)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Toutes les demandes")
    table = page.locator("#agent-queue-results tbody tr")
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text(note.key)
    expect(page.locator("#agent-search-status")).to_have_text("1 demande trouvée")
    expect(page).to_have_url(re.compile(r"/agent/queues/toutes/\?q=commercial"))
    expect(page).to_have_title(re.compile("^Toutes les demandes"))
    assert page.evaluate("() => window.sptSameDocument") is True
    assert_no_axe_violations(page, context="agent search typed")
    screenshot(page, "agent-search-typed")
