"""Satisfaction and the dashboard in a real browser: a client confirms the resolution and rates
it, the agent sees the rating on the request page, the satisfaction report counts it; the
dashboard draws its charts with their tables. Each page passes axe-core (WCAG 2.1 AA) at
desktop and phone widths without a page wider than the phone, and keeps to the strict CSP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from requests_app import services
from slo import rollups
from tests import factories
from tests.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_no_axe_violations,
    has_horizontal_overflow,
    login,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def both_widths(page: Page, what: str, name: str) -> None:
    """axe and a screenshot at desktop width, then at phone width (no sideways page)."""
    page.set_viewport_size(DESKTOP)
    assert_no_axe_violations(page, what)
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    assert_no_axe_violations(page, f"{what}, phone")
    assert not has_horizontal_overflow(page), f"{what}: wider than a phone"
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_a_client_confirms_and_rates_the_agent_sees_it_the_report_counts_it(
    page: Page, new_context, live_server, walk, client_user, servicedesk, daily
) -> None:
    r = walk("in_progress")
    services.request_propose_resolution(actor=servicedesk, request=r,
                                        resolution="Le paramètre **tolérance** est corrigé.")

    login(page, live_server, "client")
    page.goto(f"{live_server.url}/portal/requests/{r.key}/")
    scale = page.get_by_role("group", name="Votre satisfaction (facultatif)")
    expect(scale.get_by_role("radio")).to_have_count(5)
    expect(scale.get_by_role("radio", name="5 — Très satisfait")).to_be_visible()
    both_widths(page, "portal request page, confirmation with its scale",
                "satisfaction-confirm")
    scale.get_by_role("radio", name="4 — Satisfait").check()
    page.get_by_label("Commentaire (facultatif)").fill("Merci pour la rapidité.")
    page.get_by_role("button", name="Confirmer la résolution").click()
    expect(page.get_by_role("heading", name="Confirmation reçue")).to_be_visible()
    satisfaction = page.locator("#satisfaction")
    expect(satisfaction).to_contain_text("Vous avez noté votre satisfaction : 4/5 (Satisfait).")
    expect(page.locator("#historique")).to_contain_text("Vous avez noté votre satisfaction : 4/5")
    # Changing it: the form folds under "Modifier ma note".
    satisfaction.locator("summary", has_text="Modifier ma note").click()
    satisfaction.get_by_role("radio", name="5 — Très satisfait").check()
    satisfaction.get_by_label("Un commentaire sur notre service (facultatif)").fill(
        "Très bon suivi.")
    satisfaction.get_by_role("button", name="Modifier ma note").click()
    expect(page.locator(".alert-success").first).to_contain_text(
        "Merci, votre satisfaction est enregistrée.")
    expect(page.locator("#satisfaction")).to_contain_text("5/5 (Très satisfait)")
    both_widths(page, "portal request page, rating given", "satisfaction-given")

    agent_context = new_context()
    agent = agent_context.new_page()
    login(agent, live_server, "servicedesk")
    agent.goto(f"{live_server.url}/agent/requests/{r.key}/")
    card = agent.locator("#satisfaction")
    expect(card.get_by_role("heading", name="Satisfaction du client")).to_be_visible()
    expect(card).to_contain_text("5/5 · Très satisfait")
    expect(card).to_contain_text("Très bon suivi.")
    expect(agent.locator("#historique")).to_contain_text("a noté sa satisfaction : 5/5")
    both_widths(agent, "agent request page with the rating", "satisfaction-agent")

    agent.goto(f"{live_server.url}/agent/")
    agent.get_by_role("link", name="Satisfaction", exact=True).click()
    expect(agent.get_by_role("heading", level=1)).to_have_text("Satisfaction des clients")
    expect(agent.get_by_role("img", name="Note moyenne de satisfaction par mois", exact=True)
           ).to_be_visible()
    month = agent.get_by_role("table").first
    expect(month.locator("tbody tr").last).to_contain_text("5,0")
    with agent.expect_download() as download:
        agent.get_by_role("link", name="Exporter en CSV").click()
    assert download.value.suggested_filename.startswith("satisfaction-")
    both_widths(agent, "satisfaction report", "satisfaction-report")


def test_the_dashboard_draws_its_charts_and_tables(
    request, page: Page, live_server, walk, client_user, outsider, servicedesk, daily
) -> None:
    now = timezone.now()
    for days in (0, 2, 5, 12, 45):
        walk("in_progress", at=now - timedelta(days=days))
    walk("awaiting_customer", at=now - timedelta(days=3))
    walk("qualified", at=now - timedelta(days=1))
    factories.make_request(outsider, priority_code="blocking", at=now - timedelta(hours=3))
    for days in (1, 8, 20, 40):
        closed = factories.make_request(client_user, at=now - timedelta(days=days + 1))
        services.request_withdraw(actor=client_user, request=closed, reason="Réglé.",
                                  at=now - timedelta(days=days))
    rollups.rollups_refresh()

    login(page, live_server, "servicedesk")
    page.goto(f"{live_server.url}/agent/")
    page.get_by_role("link", name="Tableau de bord").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    expect(page.get_by_role("img")).to_have_count(5)
    for name in ("Demandes ouvertes par statut", "Demandes ouvertes par ancienneté",
                 "Demandes créées et fermées par semaine, les 12 dernières semaines",
                 "Taux de respect des délais SLO par mois", "Mes demandes ouvertes par statut"):
        expect(page.get_by_role("img", name=name, exact=True)).to_be_visible()
    risk = page.locator("section", has=page.get_by_role("heading", name="SLO à risque ou dépassé"))
    expect(risk.get_by_role("link", name="Toute la file « SLO à risque ou dépassé »")
           ).to_be_visible()
    both_widths(page, "dashboard", "dashboard")
    for summary in page.locator("summary", has_text="Les chiffres").all():
        summary.click()
    expect(page.get_by_role("table", name="Demandes ouvertes par statut et par ancienneté")
           ).to_be_visible()
    both_widths(page, "dashboard, tables open", "dashboard-tables")

    strict: Page = request.getfixturevalue("strict_csp_page")
    login(strict, live_server, "daily")
    for path in ("/agent/dashboard/", "/agent/reports/satisfaction/", "/agent/reports/slo/"):
        strict.goto(f"{live_server.url}{path}")
        expect(strict.get_by_role("heading", level=1)).to_be_visible()
    assert strict.spt_errors == []


def test_the_slo_report_chart_writes_its_shares(page: Page, live_server, client_user,
                                                daily) -> None:
    """A month at 0 % reads "0 %" over a thin bar (it used to look empty)."""
    late = factories.make_request(client_user, priority_code="blocking",
                                  at=timezone.now() - timedelta(days=4))
    services.request_withdraw(actor=client_user, request=late, reason="Réglé.")
    rollups.rollups_refresh()
    login(page, live_server, "daily")
    page.goto(f"{live_server.url}/agent/reports/slo/")
    chart = page.get_by_role("img", name="Taux de respect des délais SLO par mois")
    expect(chart.locator("text.slo-chart-value", has_text="0\u202f%").first).to_be_visible()
    screenshot(page, "slo-report-zero")
