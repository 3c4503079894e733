"""The new and changed pages in German and English: axe-core (WCAG 2.1 AA) finds nothing at
desktop and phone width and nothing scrolls sideways on a phone, with longer labels than the
French ones (test_portal_pages.py and test_agent_pages.py audit them in French). Each page is
first checked to speak the person's language, so that a French page cannot pass for one.

And a German customer reads the status and the priority in German on the request page, and
still on the list in the next session."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from requests_app import services
from requests_app.workflow import RequestStatus as S
from tests.browser.helpers import audit_at_both_widths, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["de", "en"]

# What each page says in the language (from locale/<language>/LC_MESSAGES/django.po).
SAYS = {
    "de": {
        "list": "Meine Anfragen",
        "new": "Neue Anfrage",
        "send": "Anfrage senden",
        "errors": "Das Formular enthält",
        "waiting": "Der Customer Service wartet auf Ihre Antwort",
        "proposed": "Ihnen wird eine Lösung vorgeschlagen",
        "closed": "Anfrage geschlossen",
        "not_found": "Seite nicht gefunden",
        "all_open": "Alle offenen Anfragen",
        "propose": "Lösung vorschlagen",
        "in_progress": "In Bearbeitung",
        "medium": "Mittel",
    },
    "en": {
        "list": "My requests",
        "new": "New request",
        "send": "Send the request",
        "errors": "The form contains",
        "waiting": "Customer Service is waiting for your answer",
        "proposed": "A resolution is proposed to you",
        "closed": "Request closed",
        "not_found": "Page not found",
        "all_open": "All open requests",
        "propose": "Propose the resolution",
        "in_progress": "In progress",
        "medium": "Medium",
    },
}


def speaks(user, language: str) -> None:
    user.profile.language = language
    user.profile.save()


def audit(page: Page, name: str, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    audit_at_both_widths(page, f"{name}-{language}", prefix="languages")


@pytest.mark.parametrize("language", LANGUAGES)
def test_customer_pages_in_the_language(page: Page, live_server, walk, client_user,
                                        servicedesk, language) -> None:
    said = SAYS[language]
    speaks(client_user, language)
    waiting = walk(S.AWAITING_CUSTOMER, title="Droits d'accès au module Salaires")
    proposed = walk(S.IN_PROGRESS, title="Rapprochement bancaire bloqué")
    services.request_propose_resolution(actor=servicedesk, request=proposed,
                                        resolution="Tolérance corrigée ; merci de confirmer.")
    closed = walk(S.IN_PROGRESS, title="Export TVA incomplet")
    services.request_propose_resolution(actor=servicedesk, request=closed,
                                        resolution="Filtre de période corrigé.")
    services.resolution_confirm(actor=client_user, request=closed, body="Merci.")
    services.request_close(actor=servicedesk, request=closed)

    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", level=1)).to_have_text(said["list"])
    expect(page.locator("tbody tr")).to_have_count(3)
    audit(page, "list", language)

    page.goto(f"{live_server.url}/portal/requests/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text(said["new"])
    audit(page, "new-choose", language)

    page.goto(f"{live_server.url}/portal/requests/new/support/")
    send = page.get_by_role("button", name=said["send"])
    expect(send).to_be_visible()
    audit(page, "new-support", language)

    send.click()
    expect(page.locator(".spt-error-summary")).to_contain_text(said["errors"])
    audit(page, "new-support-errors", language)

    def visit(request, name: str, banner: str) -> None:
        page.goto(f"{live_server.url}/portal/requests/{request.key}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(request.key)
        expect(page.get_by_role("heading", level=2, name=banner)).to_be_visible()
        audit(page, name, language)

    visit(waiting, "request-awaiting-customer", said["waiting"])
    visit(proposed, "request-resolution-proposed", said["proposed"])
    visit(closed, "request-closed", said["closed"])

    response = page.goto(f"{live_server.url}/portal/requests/SPT-999999/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(said["not_found"])
    audit(page, "not-found", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_pages_in_the_language(page: Page, live_server, walk, servicedesk,
                                     language) -> None:
    said = SAYS[language]
    speaks(servicedesk, language)
    walk(S.OPEN, title="Question sur l'export TVA", priority_code="low")
    walk(S.AWAITING_CUSTOMER, title="Droits d'accès au module Salaires")
    r = walk(S.IN_PROGRESS, title="Lenteur de la saisie des commandes")
    services.comment_add(actor=servicedesk, request=r, is_internal=True,
                         body="Reproduit en test : paramètre de tolérance à 0.")

    login(page, live_server, "servicedesk")
    page.goto(f"{live_server.url}/agent/queues/toutes-ouvertes/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(said["all_open"])
    # The sidebar's counts arrive once the page has loaded.
    current = page.locator("#agent-queue-nav-list a[aria-current=page]")
    expect(current.locator(".agent-count")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name=r.title)).to_be_visible()
    audit(page, "queue", language)

    page.goto(f"{live_server.url}/agent/requests/{r.key}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(r.title)
    expect(page.locator("main")).to_contain_text(said["in_progress"])
    audit(page, "agent-request-in-progress", language)

    page.locator("summary", has_text=said["propose"]).click()
    expect(page.locator("#action-propose_resolution").get_by_role(
        "button", name=said["propose"])).to_be_visible()
    audit(page, "agent-request-action-open", language)


def test_a_german_customer_reads_status_and_priority_in_german(
        page: Page, live_server, new_context, walk, client_user) -> None:
    said = SAYS["de"]
    speaks(client_user, "de")
    r = walk(S.IN_PROGRESS, title="Lenteur de la saisie des commandes")

    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/requests/{r.key}/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    status = page.locator("#statut")
    expect(status.locator(".badge-status")).to_have_text(said["in_progress"])
    expect(page.locator(".spt-page-header .badge-status")).to_have_text(said["in_progress"])
    main = page.locator("main")
    expect(main).to_contain_text(said["medium"])
    expect(main).not_to_contain_text("En cours")
    expect(main).not_to_contain_text("Moyenne")

    # Sign out, then in again in another browser (no cookie left): the profile decides.
    page.locator(".spt-user-name").click()
    with page.expect_navigation():
        page.locator("form[action$='/logout/'] [type=submit]").click()

    fresh = new_context().new_page()
    login(fresh, live_server, "client")
    fresh.goto(f"{live_server.url}/portal/")
    expect(fresh.locator("html")).to_have_attribute("lang", "de")
    row = fresh.locator("tbody tr", has_text=r.key)
    expect(row.locator(".badge-status")).to_have_text(said["in_progress"])
    expect(row.locator("td").nth(3)).to_have_text(said["medium"])
    expect(fresh.locator("main")).not_to_contain_text("En cours")
    expect(fresh.locator("main")).not_to_contain_text("Moyenne")
