"""The back office kept up to date in a real browser, and its keyboard: another agent's action
(through the services, as it would come from their browser) reaches the first agent's side
navigation, queue and request page without a reload; the rows stay put while the agent works
in them; "Demande suivante"; j / k / Enter / x and the "?" help, never taken while typing.

The page's own timer asks every 20 seconds; the tests send the same event ("spt:poll") at
once and wait for its answer, instead of waiting for the timer."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from requests_app import services
from requests_app.workflow import RequestStatus as S
from tests import factories
from tests.browser.helpers import (
    audit_at_both_widths,
    login,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]




def audit(page: Page, name: str) -> None:
    audit_at_both_widths(page, name, prefix="agent-live")


def poll(page: Page, selector: str, path: str) -> int:
    """Send the page's "spt:poll" to ``selector`` and wait for its answer; its status."""
    with page.expect_response(lambda response: path in response.url) as answer:
        page.evaluate("(s) => htmx.trigger(document.querySelector(s), 'spt:poll')", selector)
    status = answer.value.status
    # The swap (if any) follows the answer within the same task queue: wait for htmx to be
    # done with the element rather than for a time.
    page.wait_for_function("(s) => !document.querySelector(s) || "
                           "!document.querySelector(s).classList.contains('htmx-request')",
                           arg=selector)
    return status


def count_of(page: Page, label: str):
    link = page.locator("#agent-queue-nav-list .agent-queue-link", has_text=label).first
    return link.locator(".agent-count")


def test_another_agents_action_updates_the_sidebar_count_without_a_reload(
        page: Page, live_server, client_user, daily, frontdesk) -> None:
    first, _second = (factories.make_request(client_user) for _ in range(2))
    login(page, live_server, "daily")
    page.goto(f"{live_server.url}/agent/queues/en-cours/")
    expect(count_of(page, "À qualifier")).to_have_text(re.compile(r"^2\b"))
    expect(count_of(page, "À planifier")).to_have_text(re.compile(r"^0\b"))
    page.evaluate("window.sptNoReload = true")

    # Nothing changed: a 304, and the list stays as it is.
    assert poll(page, "#agent-queue-nav-list", "/agent/queues/nav/") == 304
    expect(count_of(page, "À qualifier")).to_have_text(re.compile(r"^2\b"))

    # FrontDesk qualifies one: it leaves "À qualifier" for Daily's "À planifier".
    services.request_qualify(actor=frontdesk, request=first, request_type=first.request_type,
                             priority=first.priority, module=factories.module(),
                             version="24.1", environment="production")
    assert poll(page, "#agent-queue-nav-list", "/agent/queues/nav/") == 200
    expect(count_of(page, "À qualifier")).to_have_text(re.compile(r"^1\b"))
    expect(count_of(page, "À planifier")).to_have_text(re.compile(r"^1\b"))

    # A customer's new request counts too.
    factories.make_request(client_user, title="Arrivée pendant que la page est ouverte")
    assert poll(page, "#agent-queue-nav-list", "/agent/queues/nav/") == 200
    expect(count_of(page, "À qualifier")).to_have_text(re.compile(r"^2\b"))
    assert page.evaluate("window.sptNoReload") is True


def test_the_queue_refreshes_but_not_under_the_agents_hands(page: Page, live_server,
                                                            client_user, frontdesk) -> None:
    first = factories.make_request(client_user, title="Première demande")
    factories.make_request(client_user, title="Deuxième demande")
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/agent/queues/a-qualifier/")
    results = page.locator("#agent-queue-results")
    assert poll(page, "#agent-queue-live", "/agent/queues/a-qualifier/") == 304

    arrived = factories.make_request(client_user, title="Nouvelle, arrivée en direct")
    assert poll(page, "#agent-queue-live", "/agent/queues/a-qualifier/") == 200
    expect(results.get_by_role("link", name=re.compile(arrived.key))).to_be_visible()
    expect(page.locator("#agent-live-status")).to_have_text("La file a été actualisée.")
    expect(page.locator("#agent-queue-count")).to_have_text("(3)")

    # A row ticked for a bulk action: the rows stay, the notice says there is news.
    page.locator(f"#agent-select-{first.number}").check()
    later = factories.make_request(client_user, title="Encore une, arrivée en direct")
    assert poll(page, "#agent-queue-live", "/agent/queues/a-qualifier/") == 200
    notice = page.locator("#agent-queue-live-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Nouvelles modifications")
    expect(results.get_by_role("link", name=re.compile(later.key))).to_have_count(0)
    expect(page.locator(f"#agent-select-{first.number}")).to_be_checked()
    expect(page.locator("#agent-live-status")).to_contain_text("Nouvelles modifications")
    audit(page, "queue-notice")

    # "Actualiser": the news now; the keyboard goes to the results.
    with page.expect_response(lambda r: "/agent/queues/a-qualifier/" in r.url):
        notice.get_by_role("button", name="Actualiser").click()
    expect(results.get_by_role("link", name=re.compile(later.key))).to_be_visible()
    expect(notice).to_be_hidden()
    expect(page.locator("#agent-queue-results [role=region]")).to_be_focused()


def test_the_request_page_warns_when_someone_else_changed_it(
        page: Page, live_server, walk, servicedesk, servicedesk2) -> None:
    servicedesk2.first_name, servicedesk2.last_name = "Sami", "Service"
    servicedesk2.save()
    r = walk(S.IN_PROGRESS)
    login(page, live_server, "servicedesk")
    page.goto(f"{live_server.url}/agent/requests/{r.key}/")
    assert poll(page, "#agent-stale", "/changes/") == 204
    expect(page.locator("#agent-stale")).to_be_empty()
    # An asking that cannot reach the server is no error of the reader's: nothing said.
    page.context.set_offline(True)
    page.evaluate("""() => new Promise((resolve) => {
        window.addEventListener('htmx:sendError', resolve, {once: true, capture: true});
        htmx.trigger(document.getElementById('agent-stale'), 'spt:poll');
    })""")
    page.context.set_offline(False)
    expect(page.locator("#spt-live-region")).to_be_hidden()

    services.request_ask_customer(actor=servicedesk2, request=r,
                                  question="Quelle version exactement ?")
    assert poll(page, "#agent-stale", "/changes/") == 200
    warning = page.locator("#agent-stale")
    expect(warning).to_contain_text(re.compile(
        r"Cette demande a été modifiée par Sami Service à \d\d:\d\d — actualisez avant d'agir\."))
    expect(warning).to_contain_text("Nouveau statut : En attente client.")
    audit(page, "request-stale")
    warning.get_by_role("link", name="Actualiser la page").click()
    expect(page.locator(".agent-request-facts .badge-status")).to_have_text("En attente client")
    expect(page.locator("#agent-stale")).to_be_empty()


def test_queue_keys_move_tick_and_open_and_never_while_typing(
        page: Page, live_server, client_user, frontdesk) -> None:
    made = [factories.make_request(client_user, title=f"Demande {n}") for n in range(3)]
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/agent/queues/a-qualifier/?sort=oldest")
    rows = page.locator("#agent-queue-results tbody tr")

    page.keyboard.press("j")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(rows.nth(0)).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator("#agent-live-status")).to_have_text("Première demande de la liste.")
    page.keyboard.press("x")
    expect(page.locator(f"#agent-select-{made[0].number}")).to_be_checked()
    expect(page.locator("#agent-live-status")).to_have_text(
        f"{made[0].key} cochée pour l’action groupée.")
    page.keyboard.press("x")
    expect(page.locator(f"#agent-select-{made[0].number}")).not_to_be_checked()
    screenshot(page, "agent-live-queue-row-focus-desktop")

    # In the search field, the keys are letters.
    page.keyboard.press("/")
    search = page.locator("form.agent-filters input[type=search]")
    expect(search).to_be_focused()
    search.press_sequentially("jkx")
    expect(search).to_have_value("jkx")
    # A modifier held is the browser's, not ours.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+j")
    expect(rows.nth(0)).not_to_be_focused()

    page.goto(f"{live_server.url}/agent/queues/a-qualifier/?sort=oldest")
    page.keyboard.press("j")
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(made[1].title)
    assert "from=%2Fagent%2Fqueues%2Fa-qualifier%2F%3Fsort%3Doldest" in page.url


def test_request_keys_help_and_next_request(page: Page, live_server, client_user,
                                            frontdesk) -> None:
    made = [factories.make_request(client_user, title=f"Demande {n}") for n in range(2)]
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/agent/queues/a-qualifier/?sort=oldest")
    with page.expect_navigation():  # to its "load": the page's scripts listen by then
        page.get_by_role("link", name=re.compile(made[0].key)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(made[0].title)
    expect(page.locator(".agent-breadcrumb")).to_contain_text("À qualifier")

    # "?" opens the help, an accessible dialog; Escape closes it.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Raccourcis clavier")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Écrire une note interne")
    audit(page, "shortcuts-help")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # "n": the comment box for an internal note; there the keys are letters.
    page.keyboard.press("n")
    box = page.locator("#commenter textarea")
    expect(box).to_be_focused()
    expect(page.locator("#agent-live-status")).to_contain_text("Note interne")
    box.press_sequentially("Vu j k ? r")
    expect(box).to_have_value("Vu j k ? r")
    expect(dialog).to_be_hidden()
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter une note interne").click()
    expect(page.locator(".alert-success")).to_contain_text("Note interne ajoutée.")

    # The page the action led to offers the next request of the queue; "r" opens it.
    following = page.get_by_role("link", name=re.compile("Demande suivante"))
    expect(following).to_contain_text(made[1].key)
    audit(page, "next-request")
    with page.expect_navigation():
        page.keyboard.press("r")
    expect(page.get_by_role("heading", level=1)).to_have_text(made[1].title)
    # The last one of the queue: after an action, nothing follows.
    page.keyboard.press("c")
    page.locator("#commenter textarea").fill("Dernière de la file.")
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter une note interne").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Demande suivante"))).to_have_count(0)
