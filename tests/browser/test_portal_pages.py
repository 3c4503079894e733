"""Every customer page, in each state that changes what it shows, audited with axe-core
(WCAG 2.1 A and AA) at desktop and phone width, checked for sideways scrolling on a phone, and
captured under var/screenshots/portal-*.png to be looked at. Data: the demo set
(``seed_demo``), plus a few actions through the services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from playwright.sync_api import Page, expect

from requests_app import services
from requests_app.models import Request
from tests.browser.helpers import (
    audit_at_both_widths,
    login,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
User = get_user_model()


def audit(page: Page, name: str) -> None:
    audit_at_both_widths(page, name, prefix="portal")


def by_title(title: str) -> Request:
    return Request.objects.get(title=title)


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = {u.username: u for u in User.objects.all()}
    # A livelier open request: a Markdown description, a colleague, a comment with a file.
    r = by_title("Écriture de clôture refusée")
    services.participant_add(actor=users["client"], request=r, user=users["client2"])
    services.comment_add(
        actor=users["client"], request=r,
        body="Le journal complet est joint.\n\n```\nERR 4512 at ledger.close()\n```",
        attachments=[SimpleUploadedFile("journal-clôture.txt", b"ERR 4512")],
    )
    return users


def test_list_pages(page: Page, live_server, demo) -> None:
    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes demandes")
    audit(page, "list")

    page.goto(f"{live_server.url}/portal/?state=open&sort=priority&scope=mine")
    expect(page.locator("tbody tr").first).to_be_visible()
    audit(page, "list-filtered")

    page.goto(f"{live_server.url}/portal/?q=introuvable")
    expect(page.get_by_text("Aucune demande ne correspond à ces critères.")).to_be_visible()
    audit(page, "list-empty")

    response = page.goto(f"{live_server.url}/portal/?status=bogus")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert").filter(has_text="Le formulaire contient")).to_be_visible()
    audit(page, "list-invalid-filter")


def test_new_request_pages(page: Page, live_server, demo) -> None:
    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/requests/new/")
    expect(page.get_by_role("link", name="Ouvrir une demande Licence")).to_have_count(0)
    audit(page, "new-choose")

    page.goto(f"{live_server.url}/portal/requests/new/support/")
    audit(page, "new-support")

    page.goto(f"{live_server.url}/portal/requests/new/patch/")
    expect(page.get_by_label("Référence du correctif")).to_be_visible()
    audit(page, "new-patch")

    page.goto(f"{live_server.url}/portal/requests/new/support/")
    page.get_by_label("Pièces jointes").set_input_files([{
        "name": "programme.exe", "mimeType": "application/octet-stream", "buffer": b"MZ",
    }])
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator(".spt-error-summary")).to_contain_text("Le formulaire contient")
    expect(page.locator("#div_id_attachments")).to_contain_text("type de fichier non accepté")
    audit(page, "new-support-errors")

    closed = by_title("Doublon : clôture refusée")
    page.goto(f"{live_server.url}/portal/requests/new/support/?follows_up={closed.key}")
    expect(page.get_by_text(f"Demande de suivi de {closed.key}")).to_be_visible()
    audit(page, "new-follow-up")


def test_request_pages(page: Page, live_server, demo) -> None:
    login(page, live_server, "client")

    def visit(title: str, name: str) -> Request:
        r = by_title(title)
        page.goto(f"{live_server.url}/portal/requests/{r.key}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(r.key)
        audit(page, name)
        return r

    visit("Écriture de clôture refusée", "request-open")
    visit("Lenteur de la saisie des commandes", "request-in-progress")
    visit("Application du correctif 24.1.3", "request-patch")
    visit("Droits d'accès au module Salaires", "request-awaiting-customer")
    r = visit("Rapprochement bancaire bloqué", "request-resolution-proposed")

    services.resolution_confirm(actor=demo["client"], request=r, body="Merci.")
    page.reload()
    expect(page.get_by_role("heading", name="Confirmation reçue")).to_be_visible()
    audit(page, "request-confirmed")

    services.request_close(actor=demo["servicedesk"], request=r)
    page.reload()
    expect(page.get_by_role("heading", name="Demande fermée")).to_be_visible()
    audit(page, "request-closed")

    visit("Clé de licence 2027", "request-licence-on-behalf")

    # The withdrawal form opened with its error.
    r = by_title("Écriture de clôture refusée")
    page.goto(f"{live_server.url}/portal/requests/{r.key}/")
    page.get_by_text("Retirer ma demande", exact=True).first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#statut").get_by_role("button", name="Retirer ma demande").click()
    expect(page.locator("#statut")).to_contain_text("Indiquez pourquoi vous retirez la demande.")
    audit(page, "request-withdraw-error")


def test_not_found_page_for_another_organisation(page: Page, live_server, demo) -> None:
    r = by_title("Écriture de clôture refusée")
    login(page, live_server, "client.leman")
    response = page.goto(f"{live_server.url}/portal/requests/{r.key}/")
    assert response is not None and response.status == 404
    audit(page, "not-found")
