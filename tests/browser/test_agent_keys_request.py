"""The agent request page's j / k in a real browser: opened from a queue, they open the next
and the previous request of that queue (its filters and its sort, kept in the address), do
nothing at its end, and are letters while typing in the comment box."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.helpers import audit_at_both_widths, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUEUE = "/agent/queues/a-qualifier/?sort=oldest"
FROM = "from=%2Fagent%2Fqueues%2Fa-qualifier%2F%3Fsort%3Doldest"

# What the page's keys did, read back without waiting for anything: each keydown and whether
# a handler took it (``defaultPrevented``, seen by a listener after the page's own), and each
# link to another request a handler clicked (held back, so the page stays for the checks).
WATCH = """() => {
  window.sptKeys = [];
  window.addEventListener("keydown", (event) => {
    window.sptKeys.push([event.key, event.defaultPrevented]);
  });
  window.sptFollowed = [];
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href*='/agent/requests/']");
    if (link) {
      window.sptFollowed.push(link.getAttribute("href"));
      event.preventDefault();
    }
  }, true);
}"""


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def test_j_and_k_open_the_queues_next_and_previous_requests(page: Page, live_server,
                                                            client_user, frontdesk) -> None:
    made = [factories.make_request(client_user, title=f"Demande {n}") for n in range(3)]
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}{QUEUE}")
    with page.expect_navigation():  # to its "load": the page's scripts listen by then
        page.get_by_role("link", name=re.compile(made[1].key)).click()
    expect(heading(page)).to_have_text(made[1].title)

    # The middle one: both neighbours, beside the breadcrumb, keeping the queue.
    neighbours = page.get_by_role("navigation", name="Demandes voisines dans « À qualifier »")
    expect(neighbours.get_by_role("link", name=re.compile("Demande précédente"))).to_have_attribute(
        "href", f"/agent/requests/{made[0].key}/?{FROM}")
    expect(neighbours.get_by_role("link", name=re.compile("Demande suivante dans la file"))
           ).to_have_attribute("href", f"/agent/requests/{made[2].key}/?{FROM}")
    audit_at_both_widths(page, "queue-neighbours", prefix="agent-keys-request")

    with page.expect_navigation():
        page.keyboard.press("k")
    expect(heading(page)).to_have_text(made[0].title)
    assert FROM in page.url
    # The first of the queue: no previous.
    expect(page.locator("a[data-queue-previous]")).to_have_count(0)

    with page.expect_navigation():
        page.keyboard.press("j")
    expect(heading(page)).to_have_text(made[1].title)
    with page.expect_navigation():
        page.keyboard.press("j")
    expect(heading(page)).to_have_text(made[2].title)
    assert FROM in page.url
    expect(page.get_by_role("link", name=re.compile(made[1].key))).to_be_visible()

    # The last of the queue: no next, and j does nothing (not taken, nothing followed).
    expect(page.locator("a[data-queue-next]")).to_have_count(0)
    page.evaluate(WATCH)
    page.keyboard.press("j")
    assert page.evaluate("window.sptKeys") == [["j", False]]
    assert page.evaluate("window.sptFollowed") == []
    expect(heading(page)).to_have_text(made[2].title)


def test_j_in_the_comment_box_is_a_letter(page: Page, live_server, client_user,
                                          frontdesk) -> None:
    made = [factories.make_request(client_user, title=f"Demande {n}") for n in range(3)]
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/agent/requests/{made[1].key}/?{FROM}")
    expect(page.locator("a[data-queue-next]")).to_have_count(1)
    page.evaluate(WATCH)

    page.keyboard.press("c")
    box = page.locator("#commenter textarea")
    expect(box).to_be_focused()
    box.press("j")
    box.press("k")
    expect(box).to_have_value("jk")
    assert page.evaluate("window.sptFollowed") == []
    assert page.evaluate("window.sptKeys") == [["c", True], ["j", False], ["k", False]]

    # Out of the box, with a modifier held, the browser's: not ours either.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+j")
    assert page.evaluate("window.sptFollowed") == []
    # Without: the next request of the queue.
    page.keyboard.press("j")
    assert page.evaluate("window.sptFollowed") == [f"/agent/requests/{made[2].key}/?{FROM}"]
