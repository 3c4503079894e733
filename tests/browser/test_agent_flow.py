"""The whole flow of DESIGN §3 across roles, each step by the right person in a real browser:
FrontDesk qualifies, Daily assigns, ServiceDesk escalates to an expert, the expert sends to
R&D, R&D hands back, ServiceDesk asks the client, the client answers in the portal,
ServiceDesk proposes the resolution, the client confirms, ServiceDesk closes; then sales
administration opens a licence request that the client finds in the portal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from requests_app.models import EventKind, Request
from requests_app.workflow import TRANSITIONS
from requests_app.workflow import RequestStatus as S
from tests import factories
from tests.browser.helpers import audit_at_both_widths, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def status_badge(page: Page):
    return page.locator(".agent-request-facts .badge-status")


def open_from_queue(page: Page, live_server, queue_label: str, r: Request) -> None:
    """From the back office home, through the side navigation's queue, to the request."""
    page.goto(f"{live_server.url}/agent/")
    page.locator(".agent-queue-link", has_text=queue_label).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(queue_label)
    # A queue row is one link: the key and the title.
    page.get_by_role("link", name=f"{r.key} {r.title}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(r.title)


def fire(page: Page, name: str, label: str, fill: dict[str, str] | None = None,
         select: dict[str, str] | None = None) -> None:
    """Open the action's panel, give what it requires, send it."""
    action = page.locator(f"#action-{name}")
    action.locator("summary").click()
    for field, value in (fill or {}).items():
        action.locator(f"#id_{name}-{field}").fill(value)
    for field, option in (select or {}).items():
        action.locator(f"#id_{name}-{field}").select_option(label=option)
    action.get_by_role("button", name=label, exact=True).click()
    key = page.locator(".agent-request-key .spt-ref").inner_text()
    expect(page.locator(".alert-success")).to_contain_text(
        str(TRANSITIONS[name].done) % {"key": key})


def buttons(page: Page) -> list[str]:
    return page.locator(".agent-action-summary").all_inner_texts()


def test_the_whole_flow_across_roles(page: Page, live_server, client_user, frontdesk, daily,
                                     servicedesk, expert, rnd, sales) -> None:
    r = factories.make_request(client_user, title="La clôture mensuelle échoue",
                               description="La validation affiche **Erreur 4512**.")

    # FrontDesk qualifies: type, priority, module, version, environment.
    login(page, live_server, "frontdesk")
    open_from_queue(page, live_server, "À qualifier", r)
    assert [b.rstrip(" ▾") for b in buttons(page)] == ["Qualifier", "Clore sans suite"]
    fire(page, "qualify", "Qualifier",
         fill={"version": "24.1"},
         select={"request_type": "Assistance › Support", "priority": "Haute",
                 "module": "Finance", "environment": "Production"})
    expect(status_badge(page)).to_have_text("Qualifié")
    expect(page.locator("#historique")).to_contain_text("Moyenne")  # the priority change
    assert Request.objects.get(pk=r.pk).priority.code == "high"

    # Daily assigns a ServiceDesk agent.
    login(page, live_server, "daily")
    open_from_queue(page, live_server, "À planifier", r)
    fire(page, "start", "Prendre en charge / assigner",
         select={"assignee": servicedesk.get_full_name()})
    expect(status_badge(page)).to_have_text("En cours")
    expect(page.locator(".agent-request-facts")).to_contain_text(servicedesk.get_full_name())

    # ServiceDesk escalates to an expert, with an internal note.
    login(page, live_server, "servicedesk")
    open_from_queue(page, live_server, "En cours — les miennes", r)
    fire(page, "escalate_to_expert", "Escalader à un expert",
         fill={"note": "NOTE-INTERNE reproduit en test, tolérance à 0."})
    expect(status_badge(page)).to_have_text("En attente triage")
    expect(page.locator(".timeline-item-internal").first).to_contain_text("Note interne")

    # The expert sends it to R&D with a reference.
    login(page, live_server, "expert")
    open_from_queue(page, live_server, "En attente triage", r)
    fire(page, "send_to_rnd", "Transmettre au R&D", fill={"rnd_reference": "RD-2026-118"})
    expect(status_badge(page)).to_have_text("En attente R&D")
    expect(page.get_by_text("RD-2026-118").first).to_be_visible()

    # R&D hands it back.
    login(page, live_server, "rd")
    open_from_queue(page, live_server, "En attente R&D", r)
    fire(page, "fix_available", "Correction disponible",
         fill={"comment": "Correctif 24.1.4 livré."})
    expect(status_badge(page)).to_have_text("En cours")

    # ServiceDesk asks the client.
    login(page, live_server, "servicedesk")
    open_from_queue(page, live_server, "En cours — les miennes", r)
    fire(page, "ask_customer", "Demander des informations",
         fill={"question": "Le correctif 24.1.4 est-il installé en production ?"})
    expect(status_badge(page)).to_have_text("En attente client")

    # The client answers in the portal: back to En cours. No internal note in sight.
    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/requests/{r.key}/")
    expect(page.locator("#historique")).to_contain_text("Le correctif 24.1.4 est-il installé")
    expect(page.locator("body")).not_to_contain_text("NOTE-INTERNE")
    expect(page.locator("body")).not_to_contain_text("Note interne")
    expect(page.locator("#repondre blockquote")).to_have_text(
        "Le correctif 24.1.4 est-il installé en production ?")
    page.get_by_label("Votre commentaire").fill("Oui, installé hier soir.")
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.locator("#statut .badge-status")).to_have_text("En cours")

    # ServiceDesk proposes the resolution.
    login(page, live_server, "servicedesk")
    open_from_queue(page, live_server, "En cours — les miennes", r)
    expect(page.locator("#historique")).to_contain_text("Oui, installé hier soir.")
    fire(page, "propose_resolution", "Proposer la résolution",
         fill={"resolution": "La tolérance a été corrigée ; merci de confirmer."})
    expect(page.locator(".alert-info.spt-banner")).to_contain_text(
        "en attente de la confirmation du client")
    # Nothing else until they answer: the customer answers, or the agent takes it back.
    assert [b.rstrip(" ▾") for b in buttons(page)] == ["Reprendre"]

    # The client confirms.
    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/requests/{r.key}/")
    page.get_by_role("button", name="Confirmer la résolution").click()
    expect(page.get_by_role("heading", name="Confirmation reçue")).to_be_visible()

    # ServiceDesk finds it under "À clôturer" and closes it.
    login(page, live_server, "servicedesk")
    open_from_queue(page, live_server, "À clôturer", r)
    expect(page.get_by_text("Le client a confirmé la résolution — à clôturer")).to_be_visible()
    fire(page, "close", "Clore")
    expect(status_badge(page)).to_have_text("Fermé")
    expect(page.get_by_text("Fermé est définitif")).to_be_visible()
    assert buttons(page) == []

    closed = Request.objects.get(pk=r.pk)
    assert (closed.status, closed.get_resolution_display()) == (S.CLOSED, "Traitée")
    transitions = list(closed.events.filter(kind=EventKind.STATUS_CHANGED).order_by(
        "created_at", "pk").values_list("payload__transition", "actor__username"))
    assert transitions == [
        ("qualify", "frontdesk"), ("start", "daily"), ("escalate_to_expert", "servicedesk"),
        ("send_to_rnd", "expert"), ("fix_available", "rd"), ("ask_customer", "servicedesk"),
        ("customer_reply", "client"), ("propose_resolution", "servicedesk"),
        ("close", "servicedesk"),
    ]

    # Sales administration opens a licence for the client, who then sees it.
    login(page, live_server, "sales")
    page.goto(f"{live_server.url}/agent/")
    page.get_by_role("link", name="Nouvelle licence").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvelle demande de licence")
    page.locator("#id_organisation").select_option(label=client_user.profile.organisation.name)
    page.locator("#id_reporter").select_option(label=client_user.get_full_name())
    page.locator("#id_title").fill("Clé de licence 2027")
    page.locator("#id_description").fill("Renouvellement annuel.")
    page.get_by_label("Finance").check()
    page.get_by_label("Logistique").check()
    page.locator("#id_users").fill("25")
    page.locator("#id_validity").fill((timezone.localdate() + timedelta(days=400)).isoformat())
    page.get_by_role("button", name="Créer la demande de licence").click()
    licence = Request.objects.get(request_type__code="licence")
    expect(page).to_have_url(re.compile(rf"/agent/requests/{licence.key}/$"))
    expect(page.locator(".alert-success")).to_contain_text("créée pour le compte de")
    expect(page.locator("#historique")).to_contain_text("pour le compte de")

    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/")
    page.get_by_role("link", name=re.compile(rf"^{licence.key}\b")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Clé de licence 2027")
    expect(page.locator("body")).to_contain_text("pour le compte de")
    assert licence.reporter == client_user and licence.created_by == sales


def test_an_agent_takes_back_a_request_waiting_for_the_customer(
        page: Page, live_server, walk, client_user, servicedesk) -> None:
    """The customer answered by phone: « Reprendre » with a public note; the customer's page
    no longer asks them anything and shows the note."""
    r = walk(S.AWAITING_CUSTOMER)
    login(page, live_server, "servicedesk")
    page.goto(f"{live_server.url}/agent/requests/{r.key}/")
    expect(status_badge(page)).to_have_text("En attente client")
    assert "Reprendre" in [b.rstrip(" ▾") for b in buttons(page)]
    action = page.locator("#action-take_back")
    action.locator("summary").click()
    audit_at_both_widths(page, "take-back-open", prefix="agent-flow")
    action.locator("#id_take_back-comment").fill(
        "Merci pour votre appel : la version est la 24.1.2.")
    action.get_by_label("Note interne (jamais montrée au client)").uncheck()
    action.get_by_role("button", name="Reprendre", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(
        f"{r.key} est reprise : elle n'attend plus le client.")
    expect(status_badge(page)).to_have_text("En cours")

    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/requests/{r.key}/")
    expect(page.locator("body")).not_to_contain_text("Le Customer Service attend votre réponse")
    expect(page.locator("#historique")).to_contain_text(
        "a repris la demande : votre réponse n'est plus attendue")
    expect(page.locator("#historique")).to_contain_text("la version est la 24.1.2.")
