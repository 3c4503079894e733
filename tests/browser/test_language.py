"""A customer switches the language once: priorities, types, modules and statuses read in it
on the form, the list and the request page, in the next session too, and the next e-mail
comes in it. "Mon profil" passes axe at both widths in the three languages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from requests_app import services
from requests_app.models import NotificationKind, OutboundMessage
from requests_app.permissions import Role
from tests import factories
from tests.browser.helpers import assert_no_axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED = {
    "de": {"priority": "Hoch", "meaning": "unmittelbares Risiko von Umsatzeinbussen",
           "module": "Andere / weiss nicht", "status": "Offen", "type": "Support",
           "list": "Meine Anfragen", "profile": "Mein Profil"},
    "en": {"priority": "High", "meaning": "immediate risk of lost revenue",
           "module": "Other / not sure", "status": "Open", "type": "Support",
           "list": "My requests", "profile": "My profile"},
}


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_customer_switches_once_and_everything_follows(page: Page, live_server, browser,
                                                         browser_context_args, client_user,
                                                         language):
    said = EXPECTED[language]
    request = factories.make_request(client_user, priority_code="high",
                                     title="La clôture mensuelle échoue")
    login(page, live_server, "client")
    page.select_option("#spt-language", language)
    with page.expect_navigation():
        page.locator(".spt-lang-form [type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)

    page.goto(f"{live_server.url}/portal/requests/new/support/")
    form = page.locator("main").inner_text()
    assert said["priority"] in form and said["meaning"] in form and said["module"] in form
    assert "Haute" not in form and "Autre / je ne sais pas" not in form

    page.goto(f"{live_server.url}/portal/")
    listing = page.locator("main").inner_text()
    assert said["list"] in listing and said["status"] in listing
    assert said["priority"] in listing and "Haute" not in listing

    page.goto(f"{live_server.url}/portal/requests/{request.key}/")
    detail = page.locator("main").inner_text()
    assert said["priority"] in detail and said["type"] in detail and "Haute" not in detail

    # The next session, in another browser (no cookie): the profile decides.
    other = browser.new_context(**browser_context_args)
    try:
        fresh = other.new_page()
        login(fresh, live_server, "client")
        fresh.goto(f"{live_server.url}/portal/")
        expect(fresh.locator("html")).to_have_attribute("lang", language)
        assert said["list"] in fresh.locator("main").inner_text()
    finally:
        other.close()

    # The next e-mail is in that language.
    agent = factories.make_agent(Role.SERVICEDESK, username=f"agent.{language}")
    services.comment_add(actor=agent, request=request, body="Merci, nous regardons.")
    mail = OutboundMessage.objects.filter(recipient=client_user,
                                          kind=NotificationKind.AGENT_COMMENT).get()
    assert mail.language == language
    assert "Voir la demande" not in mail.body_html and "Nouvelle réponse" not in mail.subject


@pytest.mark.parametrize("language", ["fr", "de", "en"])
@pytest.mark.parametrize("width", [1280, 375])
def test_the_profile_page_is_accessible(page: Page, live_server, client_user, language, width):
    client_user.profile.language = language
    client_user.profile.save()
    request = factories.make_request(client_user, title="Clôture bloquée")
    services.notifications_mute_set(actor=client_user, request=request, muted=True)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "client")
    page.goto(f"{live_server.url}/accounts/profile/")
    expect(page.locator("h1")).to_have_text(
        EXPECTED[language]["profile"] if language != "fr" else "Mon profil")
    assert page.locator("input[value=confirmation_request]").is_disabled()
    assert_no_axe_violations(page, f"profile {language} {width}")
    screenshot(page, f"profile-{language}-{width}")
