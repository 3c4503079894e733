"""Every back-office page in a real browser: axe-core (WCAG 2.1 AA) finds nothing at desktop
and phone width, nothing scrolls sideways on a phone, and a screenshot of each to look at
(var/screenshots/agent-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from requests_app import services
from requests_app.models import Request
from requests_app.workflow import RequestStatus as S
from tests import factories
from tests.browser.helpers import (
    PHONE,
    assert_no_axe_violations,
    audit_at_both_widths,
    login,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def audit(page: Page, name: str) -> None:
    audit_at_both_widths(page, name, prefix="agent")


@pytest.fixture
def busy_desk(walk, client_user, outsider, servicedesk, daily):
    """A desk with a request at every status, a confirmed one, comments and notes."""
    made = {status: walk(status) for status in S}
    walk(S.OPEN, title="Question sur l'export TVA", priority_code="low")
    factories.make_request(outsider, title="Étiquettes logistiques mal alignées",
                           priority_code="blocking")
    walk(S.QUALIFIED, type_code="patch", title="Application du correctif 24.1.3")
    r = made[S.IN_PROGRESS]
    services.comment_add(actor=client_user, request=r,
                         body="La validation affiche **Erreur 4512** depuis lundi.")
    services.comment_add(actor=servicedesk, request=r, is_internal=True,
                         body="Reproduit en test : paramètre de tolérance à 0.")
    services.comment_add(actor=servicedesk, request=r,
                         body="Nous analysons le paramétrage de la clôture.")
    services.request_update_details(actor=servicedesk, request=r,
                                    priority=factories.priority("high"))
    confirmed = walk(S.IN_PROGRESS, title="Rapprochement bancaire bloqué")
    services.request_propose_resolution(actor=servicedesk, request=confirmed,
                                        resolution="Tolérance corrigée ; merci de confirmer.")
    services.resolution_confirm(actor=client_user, request=confirmed, body="Merci !")
    made["confirmed"] = confirmed
    return made


def test_queue_pages(page: Page, live_server, busy_desk) -> None:
    login(page, live_server, "daily")
    page.goto(f"{live_server.url}/agent/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Files d'attente")
    audit(page, "queues-index")

    page.goto(f"{live_server.url}/agent/queues/toutes-ouvertes/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Toutes les demandes ouvertes")
    # The sidebar's counts arrive once the page has loaded, the current queue still marked.
    current = page.locator("#agent-queue-nav-list a[aria-current=page]")
    still_open = Request.objects.exclude(status=S.CLOSED).count()
    expect(current.locator(".agent-count")).to_have_text(f"{still_open} demande(s)")
    expect(current).to_contain_text("Toutes les demandes ouvertes")
    expect(page.locator("#agent-queue-nav-list .agent-count").first).to_be_visible()
    audit(page, "queue")

    # "Tout cocher" (a progressive enhancement) ticks every row, and back.
    rows = page.locator("input[name=bulk-requests]")
    page.get_by_label("Tout cocher").check()
    assert all(rows.nth(i).is_checked() for i in range(rows.count()))
    page.get_by_label("Tout cocher").uncheck()
    assert not any(rows.nth(i).is_checked() for i in range(rows.count()))

    # The bulk panel open, with an error (no request ticked).
    page.locator("summary", has_text="Action groupée").click()
    page.locator("#id_bulk-action").select_option(label="Assigner / réassigner")
    page.get_by_role("button", name="Appliquer aux demandes cochées").click()
    expect(page.locator(".agent-bulk")).to_contain_text("Cochez au moins une demande.")
    audit(page, "queue-bulk-error")

    page.goto(f"{live_server.url}/agent/queues/a-qualifier/?q=rien")
    expect(page.locator(".spt-empty")).to_be_visible()
    audit(page, "queue-empty")

    # On a phone the queue list folds behind a button.
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/agent/")
    expect(page.locator("#agent-queue-nav")).to_be_hidden()
    page.get_by_role("button", name="Files d'attente et recherche").click()
    expect(page.locator("#agent-queue-nav")).to_be_visible()
    assert_no_axe_violations(page, context="queue nav open, phone")
    screenshot(page, "agent-queue-nav-phone")


def test_request_pages(page: Page, live_server, busy_desk) -> None:
    login(page, live_server, "servicedesk")
    r = busy_desk[S.IN_PROGRESS]
    page.goto(f"{live_server.url}/agent/requests/{r.key}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(r.title)
    expect(page.locator(".timeline-item-internal")).to_contain_text("Note interne")
    audit(page, "request-in-progress")

    # An action open, then sent empty: its errors.
    page.locator("summary", has_text="Proposer la résolution").click()
    audit(page, "request-action-open")
    page.locator("#action-propose_resolution").get_by_role(
        "button", name="Proposer la résolution").click()
    expect(page.locator("#action-propose_resolution")).to_contain_text("Ce champ est obligatoire")
    audit(page, "request-action-error")

    confirmed = busy_desk["confirmed"]
    page.goto(f"{live_server.url}/agent/requests/{confirmed.key}/")
    expect(page.get_by_text("Le client a confirmé la résolution — à clôturer")).to_be_visible()
    audit(page, "request-confirmed")

    page.goto(f"{live_server.url}/agent/requests/{busy_desk[S.CLOSED].key}/")
    audit(page, "request-closed")

    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/agent/requests/{busy_desk[S.OPEN].key}/")
    page.locator("summary", has_text="Qualifier").click()
    audit(page, "request-qualify")

    # A refusal (posted by hand): the short page.
    response = page.request.post(
        f"{live_server.url}/agent/requests/{busy_desk[S.OPEN].key}/transition/start/",
        form={"start-expected_status": "open"},
        headers={"X-CSRFToken": page.context.cookies()[0]["value"]
                 if page.context.cookies() else ""},
    )
    assert 400 <= response.status < 500


def test_licence_page(page: Page, live_server, busy_desk) -> None:
    factories.make_agent("Administration des ventes", username="sales")
    login(page, live_server, "sales")
    page.goto(f"{live_server.url}/agent/licences/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle demande de licence")
    audit(page, "licence")
    page.get_by_role("button", name="Créer la demande de licence").click()
    expect(page.locator(".spt-error-summary")).to_be_visible()
    audit(page, "licence-errors")
