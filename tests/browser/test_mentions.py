"""@-mentions in a real browser: a ServiceDesk agent types "@" in the note box, picks the
expert with the keyboard from the list, posts the internal note; the expert signs in, finds
the request under "Mes mentions" with its count, opens it (the read receipt clears the count),
and the mention e-mail waits in the outbox. The autocomplete works under the portal's own CSP;
the pages pass axe at desktop and phone widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from requests_app.models import Mention, NotificationKind, OutboundMessage
from requests_app.people import person_name
from requests_app.workflow import RequestStatus as S
from tests.browser.helpers import DESKTOP, PHONE, assert_no_axe_violations, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def mentions_link(page: Page):
    return page.locator(".agent-queue-link", has_text="Mes mentions")


def request_link(page: Page, r):
    return page.locator(f'#agent-content a[href^="/agent/requests/{r.key}/"]')


def type_mention(page: Page, text: str) -> None:
    box = page.locator("#id_comment-body")
    box.click()
    box.press_sequentially(text)


def test_an_agent_mentions_a_colleague_who_finds_it_in_mes_mentions(
    page: Page, strict_csp_page: Page, live_server, walk, servicedesk, expert, daily,
) -> None:
    r = walk(S.IN_PROGRESS)
    expert_name = person_name(expert)

    # --- ServiceDesk writes the note, under the real CSP -----------------------------------
    agent = strict_csp_page
    login(agent, live_server, "servicedesk")
    agent.goto(f"{live_server.url}/agent/requests/{r.key}/")
    type_mention(agent, "Peux-tu regarder le journal @exp")
    listbox = agent.get_by_role("listbox", name="Collègues à mentionner")
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option")
    expect(option).to_have_count(1)
    expect(option).to_contain_text(expert_name)
    expect(option).to_contain_text("@expert · Expert")
    expect(option).to_have_attribute("aria-selected", "true")
    box = agent.locator("#id_comment-body")
    expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    expect(box).to_have_attribute("aria-controls", listbox.get_attribute("id"))
    expect(agent.locator(".spt-mention-host [aria-live=polite]").first).to_contain_text(
        "1 collègue proposé")
    agent.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("Peux-tu regarder le journal @expert ")
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))
    # Escape closes the list and keeps what was typed.
    box.press_sequentially("et @")
    expect(listbox.get_by_role("option").first).to_be_visible()
    agent.keyboard.press("ArrowDown")
    agent.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("Peux-tu regarder le journal @expert et @")
    box.press("Backspace")
    box.press("Backspace")
    agent.get_by_role("button", name="Ajouter une note interne").click()
    expect(agent.locator(".alert-success")).to_contain_text("Note interne ajoutée.")
    expect(agent.locator("#historique .spt-mention")).to_have_text(f"@{expert_name}")
    # No CSP violation, no script error (the autocomplete working says its file loaded).
    assert [error for error in agent.spt_errors
            if "Content Security Policy" in error or error.startswith("uncaught")] == []

    assert Mention.objects.filter(person=expert, request=r, read_at__isnull=True).count() == 1
    email = OutboundMessage.objects.get(kind=NotificationKind.MENTION)
    assert email.recipient == expert
    assert "vous mentionne dans une note interne" in email.subject
    assert "journal" not in email.body_text  # the note stays in the portal

    # --- the autocomplete open, as axe sees it, at both widths -----------------------------
    login(page, live_server, "daily")
    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        page.goto(f"{live_server.url}/agent/requests/{r.key}/")
        page.locator("#commenter").scroll_into_view_if_needed()
        type_mention(page, "@")
        expect(page.get_by_role("listbox").get_by_role("option").first).to_be_visible()
        screenshot(page, f"mentions-autocomplete-{name}", full_page=False)
        assert_no_axe_violations(page, f"mention autocomplete, {name}")

    # --- the expert finds it under "Mes mentions" -------------------------------------------
    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)
    login(page, live_server, "expert")
    page.goto(f"{live_server.url}/agent/")
    expect(mentions_link(page).locator(".agent-count")).to_have_text(
        re.compile(r"^1\s*mention\(s\) non lue\(s\)$"))
    for size, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        page.goto(f"{live_server.url}/agent/queues/mes-mentions/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Mes mentions")
        expect(request_link(page, r)).to_be_visible()
        screenshot(page, f"mentions-queue-{name}")
        assert_no_axe_violations(page, f"Mes mentions, {name}")

    # Opening the request: the banner says why, the read receipt clears the count.
    page.set_viewport_size(DESKTOP)
    request_link(page, r).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(r.title)
    banner = page.locator(".agent-mention-banner")
    expect(banner).to_contain_text("Une note interne de cette demande vous mentionne.")
    expect(banner).to_contain_text("Marquées comme lues")
    expect(page.locator("#historique .spt-mention")).to_have_text(f"@{expert_name}")
    expect(mentions_link(page).locator(".agent-count")).to_have_text(re.compile(r"^0"))
    screenshot(page, "mentions-request-desktop")
    assert_no_axe_violations(page, "request page with a mention read, desktop")
    assert not Mention.objects.filter(person=expert, read_at__isnull=True).exists()

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/agent/requests/{r.key}/")
    expect(page.locator(".agent-mention-banner")).to_have_count(0)
    screenshot(page, "mentions-request-phone")
    assert_no_axe_violations(page, "request page, phone")
