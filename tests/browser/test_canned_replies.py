"""Canned replies in a real browser: an agent inserts one into the comment box — searched as
they type, filled for the request in the customer's language, at the cursor — and posts it,
under the portal's own Content Security Policy; the same control in an action's form fetched
later; and the management pages pass axe-core at desktop and phone width (screenshots under
var/screenshots/agent-canned-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from requests_app.models import Comment, Profile
from requests_app.workflow import RequestStatus as S
from tests import factories
from tests.browser.helpers import (
    audit_at_both_widths,
    login,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def audit(page: Page, name: str) -> None:
    audit_at_both_widths(page, name, prefix="agent-canned")


@pytest.fixture
def german_request(walk, client_user, servicedesk):
    client_user.first_name, client_user.last_name = "Anna", "Keller"
    client_user.save()
    Profile.objects.filter(user=client_user).update(language="de")
    servicedesk.first_name, servicedesk.last_name = "Sami", "Service"
    servicedesk.save()
    factories.make_canned_reply(
        servicedesk, shared=True, title="Accusé de réception",
        body="Bonjour {{client.prenom}},\nnous avons bien reçu {{demande.numero}}.",
        de=("Eingangsbestätigung",
            "Hallo {{client.prenom}}, wir haben {{demande.numero}} erhalten. {{agent.nom}}"))
    factories.make_canned_reply(servicedesk, title="Demande de version",
                                body="Quelle version de ProConcept utilisez-vous ?")
    return walk(S.IN_PROGRESS, title="Die Monatsabschluss-Buchung schlägt fehl")


def test_an_agent_inserts_a_canned_reply_in_the_comment_box_and_posts_it(
        strict_csp_page: Page, live_server, german_request) -> None:
    page = strict_csp_page
    r = german_request
    refused: list[str] = []
    page.on("response", lambda answer: refused.append(f"{answer.status} {answer.url}")
            if answer.status >= 400 else None)
    login(page, live_server, "servicedesk")
    page.goto(f"{live_server.url}/agent/requests/{r.key}/")
    box = page.locator("#id_comment-body")
    box.fill("Guten Tag. ")
    box.press("End")

    picker = page.locator("#canned-id_comment-body")
    picker.get_by_text("Insérer une réponse type").click()
    search = picker.get_by_label("Rechercher une réponse type")
    expect(search).to_be_focused()
    expect(picker.locator(".canned-choice")).to_have_count(2)  # listed at once
    search.press_sequentially("eingang")  # the German title is found too
    expect(picker.locator(".canned-choice")).to_have_count(1)
    expect(picker).to_contain_text("Langue du client : Deutsch.")
    expect(picker.locator(".canned-choice-preview")).to_contain_text(
        f"Hallo Anna, wir haben {r.key}")
    # Listed by its title in the agent's language; inserted in the customer's.
    picker.get_by_role("button", name="Accusé de réception").click()

    expected = f"Guten Tag. Hallo Anna, wir haben {r.key} erhalten. Sami Service"
    expect(box).to_have_value(expected)
    expect(box).to_be_focused()
    expect(picker.locator("details")).not_to_have_attribute("open", "")
    expect(picker.locator("[data-canned-status]")).to_have_text(
        "Réponse type insérée : Eingangsbestätigung (Deutsch).")

    page.get_by_role("button", name="Publier — visible du client").click()
    expect(page.locator(".alert-success")).to_contain_text("Commentaire publié")
    expect(page.locator("#historique")).to_contain_text(f"wir haben {r.key} erhalten")
    assert Comment.objects.get(request=r).body == expected
    # Nothing refused by the CSP, no script error, no answer of ours an error.
    assert not [error for error in page.spt_errors
                if "Failed to load resource" not in error], page.spt_errors
    assert not [answer for answer in refused if "canned" in answer], refused


def test_the_control_of_an_action_form_fetched_later_inserts_at_the_cursor(
        page: Page, live_server, german_request) -> None:
    r = german_request
    login(page, live_server, "servicedesk")
    page.goto(f"{live_server.url}/agent/requests/{r.key}/")
    action = page.locator("#action-ask_customer")
    action.locator("summary").click()
    question = action.locator("#id_ask_customer-question")
    question.fill("Merci.  À bientôt.")
    question.evaluate("box => { box.focus(); box.setSelectionRange(7, 7); }")
    picker = action.locator("[data-canned-picker]")
    picker.get_by_text("Insérer une réponse type").click()
    picker.get_by_label("Rechercher une réponse type").fill("version")
    expect(picker.locator(".canned-choice")).to_have_count(1)
    # Keyboard: from the search field down to the reply, Enter inserts it.
    picker.get_by_label("Rechercher une réponse type").press("ArrowDown")
    expect(picker.get_by_role("button", name="Demande de version")).to_be_focused()
    page.keyboard.press("Enter")
    expect(question).to_have_value(
        "Merci. Quelle version de ProConcept utilisez-vous ? À bientôt.")
    # Not translated: said so, in French.
    expect(picker.locator("[data-canned-status]")).to_contain_text("en français")


def test_the_management_pages_pass_axe(page: Page, live_server, german_request) -> None:
    login(page, live_server, "servicedesk")
    page.goto(f"{live_server.url}/agent/canned-replies/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Réponses types")
    audit(page, "list")

    page.get_by_label("Rechercher", exact=True).fill("version")
    expect(page.locator("#canned-reply-results tbody tr")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/agent/canned-replies/?q=version&scope=")

    page.goto(f"{live_server.url}/agent/canned-replies/new/")
    audit(page, "new")
    page.get_by_label("Titre en français").fill("Relance")
    page.get_by_label("Texte en français").fill("Bonjour {{client.adresse}}")
    page.get_by_label("Titre en allemand").fill("Erinnerung")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".spt-error-summary")).to_contain_text("Champ inconnu")
    audit(page, "new-error")
    page.get_by_label("Texte en français").fill("Bonjour {{client.prenom}}")
    page.get_by_label("Texte en allemand").fill("Hallo {{client.prenom}}")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".alert-success")).to_contain_text("Réponse type « Relance » enregistrée")

    page.get_by_role("link", name="Modifier « Relance »").click()
    expect(page.get_by_label("Titre en allemand")).to_have_value("Erinnerung")
    audit(page, "edit")
    page.get_by_role("link", name="Supprimer", exact=True).click()
    audit(page, "delete")
    page.get_by_role("button", name="Supprimer").click()
    expect(page.locator(".alert-success")).to_contain_text("supprimée")

    r = german_request
    page.goto(f"{live_server.url}/agent/requests/{r.key}/")
    page.locator("#canned-id_comment-body").get_by_text("Insérer une réponse type").click()
    expect(page.locator("#canned-id_comment-body .canned-choice")).to_have_count(2)
    audit(page, "request-picker")
