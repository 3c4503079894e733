"""The whole client journey in a real browser: log in, open a Support request with an
attachment, find it in the list and by search, comment, mute and unmute, answer a request for
information, deny then confirm a proposed resolution, see the closed request read-only and open
a follow-up; a client of another organisation gets 404 on the request and its attachment.

The agents' side is played through the services, as the agent pages are another page set."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from requests_app import services
from requests_app.models import Request
from requests_app.workflow import RequestStatus as S
from tests import factories
from tests.browser.helpers import assert_no_axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fresh(r: Request) -> Request:
    return Request.objects.get(pk=r.pk)


def status_of(page: Page):
    return page.locator("#statut .badge-status")


def test_client_journey(page: Page, live_server, client_user, colleague, outsider, frontdesk,
                        daily, servicedesk) -> None:
    login(page, live_server, "client")
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes demandes")

    # --- a new Support request with an attachment ---------------------------------------------
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Nouvelle demande").click()
    page.get_by_role("link", name="Ouvrir une demande Support").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle demande Support")
    page.get_by_label("Titre").fill("La clôture mensuelle échoue")
    page.get_by_label("Description").fill("La validation affiche **Erreur 4512**.")
    page.get_by_role("radio", name=re.compile("^Haute")).check()
    page.get_by_label("Module ERP").select_option(label="Finance")
    page.get_by_label("Version").fill("24.1")
    page.get_by_role("radio", name="Production").check()
    expect(page.get_by_label("Partager avec mon organisation")).to_be_checked()
    page.get_by_label("Pièces jointes").set_input_files([{
        "name": "journal.txt", "mimeType": "text/plain", "buffer": b"Erreur 4512 a 08:15",
    }])
    page.get_by_role("button", name="Envoyer la demande").click()

    r = Request.objects.get()
    expect(page).to_have_url(re.compile(rf"/portal/requests/{r.key}/$"))
    expect(page.get_by_role("status").first).to_contain_text(f"Votre demande {r.key} a été envoyée")
    expect(page.get_by_role("heading", level=1)).to_contain_text(r.key)
    expect(page.get_by_role("heading", level=1)).to_contain_text("La clôture mensuelle échoue")
    expect(page.locator(".spt-markdown strong")).to_have_text("Erreur 4512")
    expect(status_of(page)).to_have_text("Ouvert")
    expect(page.locator("#statut")).to_contain_text("Customer Service (FrontDesk)")
    with page.expect_download() as download:
        page.locator("#pieces-jointes").get_by_role("link", name="journal.txt").click()
    assert download.value.suggested_filename == "journal.txt"

    # --- find it in the list and by search ------------------------------------------------
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mes demandes").click()
    row = page.get_by_role("row").filter(has_text=r.key)
    expect(row).to_contain_text("La clôture mensuelle échoue")
    expect(row).to_contain_text("Ouvert")
    factories.make_request(colleague, title="Question TVA", description="Export XML ?")
    for query in (r.key, str(r.number), "clôture"):
        page.get_by_label("Rechercher").fill(query)
        page.get_by_role("button", name="Rechercher").click()
        expect(page.locator("tbody tr")).to_have_count(1)
        expect(page.locator("tbody tr")).to_contain_text(r.key)
    page.get_by_role("link", name="Effacer les filtres").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    page.get_by_role("link", name=re.compile(rf"^{r.key}\b")).click()

    # --- comment ----------------------------------------------------------------------------
    page.get_by_label("Votre commentaire").fill("Cela arrive aussi en test.")
    page.get_by_role("button", name="Ajouter le commentaire").click()
    expect(page.get_by_role("status").first).to_contain_text("Votre commentaire a été ajouté.")
    expect(page.locator("#historique .timeline-item").first).to_contain_text(
        "Cela arrive aussi en test.")

    # --- mute and unmute ---------------------------------------------------------------------
    page.get_by_role("button", name="Désactiver les notifications pour cette demande").click()
    expect(page.locator("#notifications")).to_contain_text("Vous ne recevez plus d'e-mail")
    page.get_by_role("button", name="Réactiver les notifications").click()
    expect(page.get_by_role("button", name="Désactiver les notifications pour cette demande")
           ).to_be_visible()

    # --- answer a request for information ----------------------------------------------------
    services.request_qualify(actor=frontdesk, request=r, request_type=r.request_type,
                             priority=r.priority, module=factories.module(), version="24.1",
                             environment="production")
    services.request_start(actor=daily, request=r, assignee=servicedesk)
    services.request_ask_customer(actor=servicedesk, request=r,
                                  question="Quel est le numéro du lot concerné ?")
    page.reload()
    expect(status_of(page)).to_have_text("En attente client")
    expect(page.get_by_role("heading", name="Le Customer Service attend votre réponse")
           ).to_be_visible()
    # The question itself, and the reply box under it; a link to it puts the focus there.
    banner = page.locator("#repondre")
    expect(banner.locator("blockquote")).to_have_text("Quel est le numéro du lot concerné ?")
    page.goto(f"{live_server.url}/portal/requests/{r.key}/#repondre")
    expect(banner.get_by_label("Votre commentaire")).to_be_focused()
    assert_no_axe_violations(page, "client request page, awaiting the client's answer")
    screenshot(page, "portal-awaiting-answer")
    banner.get_by_label("Votre commentaire").fill("Le lot 2026-118.")
    banner.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_role("status").first).to_contain_text("de nouveau traitée")
    expect(status_of(page)).to_have_text("En cours")
    assert fresh(r).status == S.IN_PROGRESS

    # --- deny, then confirm a proposed resolution -----------------------------------------------
    services.request_propose_resolution(actor=servicedesk, request=r,
                                        resolution="La tolérance a été corrigée.")
    page.reload()
    banner = page.locator("#resolution")
    expect(banner.get_by_role("heading", name="Une résolution vous est proposée")).to_be_visible()
    expect(banner).to_contain_text("La tolérance a été corrigée.")
    banner.get_by_role("button", name="La solution ne convient pas").click()
    expect(page.locator("#resolution")).to_contain_text(
        "Expliquez pourquoi la solution ne convient pas.")
    assert fresh(r).status == S.AWAITING_CUSTOMER
    page.get_by_label("Pourquoi la solution ne convient-elle pas ?").fill(
        "L'erreur revient à la clôture de mars.")
    page.get_by_role("button", name="La solution ne convient pas").click()
    expect(status_of(page)).to_have_text("En cours")
    expect(page.locator("#historique")).to_contain_text("L'erreur revient à la clôture de mars.")

    services.request_propose_resolution(actor=servicedesk, request=r,
                                        resolution="Correctif 24.1.3 appliqué.")
    page.reload()
    page.get_by_label("Commentaire (facultatif)").fill("Tout fonctionne, merci.")
    page.get_by_role("button", name="Confirmer la résolution").click()
    expect(page.get_by_role("heading", name="Confirmation reçue")).to_be_visible()
    expect(page.locator("#statut")).to_contain_text("Customer Service (clôture de la demande)")
    expect(page.locator("#resolution")).to_have_count(0)

    # --- closed: read-only, then a follow-up ------------------------------------------------
    services.request_close(actor=servicedesk, request=r)
    page.reload()
    expect(status_of(page)).to_have_text("Fermé")
    expect(page.get_by_role("heading", name="Demande fermée")).to_be_visible()
    expect(page.locator("#statut")).to_contain_text("Traitée")
    expect(page.get_by_label("Votre commentaire")).to_have_count(0)
    expect(page.get_by_role("button", name="Ajouter le commentaire")).to_have_count(0)
    expect(page.get_by_text("Retirer ma demande", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Créer une demande de suivi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle demande Support")
    expect(page.locator(".alert-info")).to_contain_text(f"Demande de suivi de {r.key}")
    page.get_by_label("Titre").fill("La clôture échoue de nouveau")
    page.get_by_label("Description").fill("Même erreur en avril.")
    page.get_by_label("Module ERP").select_option(label="Finance")
    page.get_by_role("radio", name="Production").check()
    page.get_by_role("button", name="Envoyer la demande").click()
    follow_up = Request.objects.get(title="La clôture échoue de nouveau")
    assert follow_up.follows_up_id == r.pk
    expect(page.get_by_role("heading", level=1)).to_contain_text(follow_up.key)
    page.get_by_role("link", name=r.key, exact=True).first.click()
    expect(page).to_have_url(re.compile(rf"/portal/requests/{r.key}/$"))
    expect(page.locator(".alert-secondary").filter(has_text="Demandes de suivi")
           ).to_contain_text(follow_up.key)

    # --- another organisation sees nothing ------------------------------------------------
    token = r.attachments.get().token
    own = page.request.get(f"{live_server.url}/attachments/{token}/")
    assert own.status == 200 and own.headers["content-disposition"].startswith("attachment")
    page.context.clear_cookies()
    login(page, live_server, "client.leman")
    response = page.goto(f"{live_server.url}/portal/requests/{r.key}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    assert page.request.get(f"{live_server.url}/attachments/{token}/").status == 404
    page.goto(f"{live_server.url}/portal/")
    expect(page.locator("tbody tr")).to_have_count(0)
