"""The SLO as people see it, in a real browser: the clocks on the agent page and in the
queue, the client's "dans les délais" / "en retard", the report with its chart; each page
passes axe-core (WCAG 2.1 AA) and keeps to the strict CSP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from requests_app import services
from slo import rollups
from tests import factories
from tests.browser.helpers import PHONE, assert_no_axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def late_and_on_time(client_user, frontdesk, walk):
    """A Bloquante request opened two business days ago (late), a fresh Moyenne one, a
    request waiting for the client, and a closed one (verdicts for the report)."""
    late = factories.make_request(client_user, priority_code="blocking",
                                  at=timezone.now() - timedelta(days=4))
    fresh = factories.make_request(client_user, priority_code="medium")
    waiting = walk("awaiting_customer")
    closed = factories.make_request(client_user, at=timezone.now() - timedelta(days=3))
    services.comment_add(actor=frontdesk, request=closed, body="Nous regardons.",
                         at=timezone.now() - timedelta(days=3) + timedelta(minutes=10))
    services.request_withdraw(actor=client_user, request=closed, reason="Réglé.")
    rollups.rollups_refresh()  # beat's minute: what the report reads
    return {"late": late, "fresh": fresh, "waiting": waiting, "closed": closed}


def test_agent_sees_each_clock_with_its_state_and_bar(
    page: Page, live_server, late_and_on_time, daily
) -> None:
    login(page, live_server, "daily")
    late = late_and_on_time["late"]
    page.goto(f"{live_server.url}/agent/requests/{late.key}/")
    clocks = page.locator(".slo-clock")
    expect(clocks).to_have_count(2)
    expect(clocks.first).to_contain_text("Première réponse")
    expect(clocks.first).to_contain_text("Dépassé de")
    bar = page.get_by_role("progressbar", name=re.compile(r"^Première réponse : \d+ % du délai"))
    expect(bar).to_have_attribute("value", "100")
    expect(page.locator("progress.slo-bar")).to_have_count(2)
    assert_no_axe_violations(page, "agent request page, SLO clocks")
    screenshot(page, "slo-agent-request")

    waiting = late_and_on_time["waiting"]
    page.goto(f"{live_server.url}/agent/requests/{waiting.key}/")
    expect(page.locator(".slo-clock").nth(1)).to_contain_text("En pause")

    page.goto(f"{live_server.url}/agent/queues/toutes-ouvertes/")
    expect(page.locator(".slo-cell").first).to_be_visible()
    assert_no_axe_violations(page, "queue with SLO cells")
    screenshot(page, "slo-agent-queue")


def test_client_sees_only_on_time_or_late(
    page: Page, live_server, late_and_on_time
) -> None:
    login(page, live_server, "client")
    late, fresh = late_and_on_time["late"], late_and_on_time["fresh"]
    page.goto(f"{live_server.url}/portal/requests/{late.key}/")
    expect(page.locator(".slo-late").first).to_have_text("En retard")
    body = page.locator("main").inner_text()
    assert "Première réponse" not in body and "ouvrées" not in body
    page.goto(f"{live_server.url}/portal/requests/{fresh.key}/")
    expect(page.locator(".slo-ok").first).to_have_text("Dans les délais")
    assert_no_axe_violations(page, "client request page, SLO status")
    # Waiting for the client, or closed: the vendor is not working towards a deadline.
    for quiet in (late_and_on_time["waiting"], late_and_on_time["closed"]):
        page.goto(f"{live_server.url}/portal/requests/{quiet.key}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(quiet.key)
        expect(page.locator(".slo-badge")).to_have_count(0)
    page.goto(f"{live_server.url}/portal/")
    rows = page.locator("tbody tr")
    expect(rows.filter(has_text=late.key).locator(".slo-late")).to_have_count(1)
    expect(rows.filter(has_text=late_and_on_time["closed"].key).locator(".slo-badge")
           ).to_have_count(0)


@pytest.mark.usefixtures("late_and_on_time", "daily")
def test_report_page_with_chart_and_tables(request, page: Page, live_server) -> None:
    strict_page: Page = request.getfixturevalue("strict_csp_page")
    login(page, live_server, "daily")
    page.goto(f"{live_server.url}/agent/reports/slo/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rapport SLO")
    expect(page.get_by_role("img", name="Taux de respect des délais SLO par mois")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(3)
    assert_no_axe_violations(page, "SLO report")
    screenshot(page, "slo-report")
    page.get_by_label("Compteur", exact=True).select_option("resolution")
    page.get_by_role("button", name="Afficher").click()
    expect(page).to_have_url(f"{live_server.url}/agent/reports/slo/?months=6&clock=resolution")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    assert download.value.suggested_filename.startswith("rapport-slo-")
    page.set_viewport_size(PHONE)
    assert_no_axe_violations(page, "SLO report, phone")
    screenshot(page, "slo-report-phone")

    login(strict_page, live_server, "daily")
    strict_page.goto(f"{live_server.url}/agent/reports/slo/")
    expect(strict_page.get_by_role("heading", level=1)).to_have_text("Rapport SLO")
    assert strict_page.spt_errors == []
