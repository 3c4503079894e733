""""Demande suivante": an action on a request opened from a queue leads to a page that offers
the next request of that queue (its filters and its sort), found by position in one query;
nothing at the end; and ``from`` only ever names a queue page of this site."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app import selectors
from requests_app.selectors import queues
from requests_app.selectors.queue_next import (
    queue_neighbours_of,
    queue_position_of,
    queue_request_after,
    queue_request_before,
)
from requests_app.views.queue_origin import queue_origin_parse
from requests_app.workflow import RequestStatus as S
from tests import factories

A_QUALIFIER = "/agent/queues/a-qualifier/"


def comment(client, r, origin: str | None, body: str = "Vu, je regarde.") -> str:
    """An internal note posted from the request page opened with ``?from=origin``; the
    address it leads to."""
    url = reverse("agent:comment", args=[r.key])
    if origin is not None:
        url += "?" + urlencode({"from": origin})
    response = client.post(url, {"comment-body": body, "comment-visibility": "internal"})
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def offered(location: str) -> str | None:
    query = parse_qs(urlsplit(location).query)
    return query.get("suivante", [None])[0]


def queue_order(user, slug: str, **filters) -> list[str]:
    rows = queues.queue_requests(user, queues.queue_get(slug), now=timezone.now(), **filters)
    return [f"SPT-{n}" for n in rows.values_list("number", flat=True)]


@pytest.fixture
def four_open(client_user):
    """Four requests waiting for qualification, of mixed priorities (the default order, the
    nearest SLO due first, is then not the order of their numbers)."""
    return [factories.make_request(client_user, priority_code=code, title=f"Demande {code}")
            for code in ("low", "blocking", "medium", "high")]


@pytest.mark.django_db
def test_each_action_offers_the_request_after_it_in_the_queues_order(client, frontdesk,
                                                                     four_open):
    client.force_login(frontdesk)
    order = queue_order(frontdesk, "a-qualifier")
    assert order != sorted(order)  # the SLO order, not the numbers'
    by_key = {r.key: r for r in four_open}
    for current, expected in zip(order, [*order[1:], None], strict=True):
        location = comment(client, by_key[current], A_QUALIFIER)
        assert offered(location) == expected, (current, order)
        # The queue stays in the address, for the next action and the way back.
        assert parse_qs(urlsplit(location).query)["from"] == [A_QUALIFIER]


@pytest.mark.django_db
def test_the_next_request_keeps_the_queues_filters_and_sort(client, frontdesk, four_open,
                                                            client_user):
    extra_high = factories.make_request(client_user, priority_code="high", title="Autre")
    client.force_login(frontdesk)
    high = factories.priority("high")
    origin = f"{A_QUALIFIER}?priority={high.pk}&sort=newest"
    assert queue_order(frontdesk, "a-qualifier", priority=high, sort="newest") == [
        extra_high.key, four_open[3].key]
    assert offered(comment(client, extra_high, origin)) == four_open[3].key
    assert offered(comment(client, four_open[3], origin)) is None


@pytest.mark.django_db
def test_a_request_that_leaves_the_queue_offers_the_one_after_its_old_place(
        client, frontdesk, four_open):
    client.force_login(frontdesk)
    order = queue_order(frontdesk, "a-qualifier")
    first = next(r for r in four_open if r.key == order[0])
    url = reverse("agent:transition", args=[first.key, "qualify"]) + "?" + urlencode(
        {"from": A_QUALIFIER})
    response = client.post(url, {
        "qualify-expected_status": S.OPEN, "qualify-request_type": factories.request_type().pk,
        "qualify-priority": first.priority_id, "qualify-module": factories.module().pk,
        "qualify-version": "24.1", "qualify-environment": "production"})
    assert response.status_code == 302
    assert offered(response["Location"]) == order[1]
    first.refresh_from_db()
    assert first.status == S.QUALIFIED  # no longer in "À qualifier"

    # The page it leads to offers it, with the queue kept on its link and in the breadcrumb.
    html = client.get(response["Location"]).content.decode()
    link = re.search(r'<a class="btn btn-primary btn-sm" href="([^"]+)" data-next-request>'
                     r'Demande suivante <span class="agent-next-key">(SPT-\d+)</span>', html)
    assert link and link.group(2) == order[1]
    assert link.group(1) == f"/agent/requests/{order[1]}/?from=%2Fagent%2Fqueues%2Fa-qualifier%2F"
    assert f'<a href="{A_QUALIFIER}">À qualifier</a>' in html


@pytest.mark.django_db
def test_no_next_request_without_a_queue_or_after_a_refusal(client, frontdesk, four_open):
    client.force_login(frontdesk)
    r = four_open[0]
    location = comment(client, r, None)
    assert location == f"/agent/requests/{r.key}/#historique"
    html = client.get(location).content.decode()
    assert "data-next-request" not in html and "Demande suivante" not in html.split(
        "agent-shortcuts")[0]
    # A refused action: the page again, with the queue still on its forms, and no next.
    url = reverse("agent:comment", args=[r.key]) + "?" + urlencode({"from": A_QUALIFIER})
    refused = client.post(url, {"comment-body": "", "comment-visibility": "internal"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "data-next-request" not in page
    kept = "?from=%2Fagent%2Fqueues%2Fa-qualifier%2F"
    assert f'action="/agent/requests/{r.key}/comment/{kept}"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("foreign", [
    "https://evil.example/agent/queues/a-qualifier/",
    "//evil.example/agent/queues/a-qualifier/",
    "/\\evil.example/agent/queues/a-qualifier/",
    "javascript:alert(1)",
    "http:/agent/queues/a-qualifier/",
    "/agent/requests/SPT-1/",
    "/agent/queues/inconnue/",
    "/portal/",
    "agent/queues/a-qualifier/",
    "/agent/queues/a-qualifier/#x",
    "/agent/queues/a-qualifier/\u00e9",
    "/agent/queues/a-qualifier/?" + "q=" + "x" * 1200,
])
def test_from_names_only_a_queue_page_of_this_site(client, frontdesk, four_open, foreign):
    assert queue_origin_parse(foreign) is None
    client.force_login(frontdesk)
    r = four_open[0]
    location = comment(client, r, foreign)
    # Back to the request page itself, as if ``from`` had not been there.
    assert location == f"/agent/requests/{r.key}/#historique"
    page = client.get(reverse("agent:request", args=[r.key]), {"from": foreign})
    html = page.content.decode()
    assert page.status_code == 200
    # No link, form or fragment of the page leads there (the language switch's ``next``
    # keeps the page's own address, a path of this site).
    assert not re.search(r'(href|action|hx-get)="[^"]*evil', html)
    assert "data-next-request" not in html
    assert 'class="breadcrumb-item"><a href="/agent/queues' not in html


@pytest.mark.django_db
def test_the_next_request_named_in_the_address_must_be_a_key(client, frontdesk, four_open):
    client.force_login(frontdesk)
    r = four_open[0]
    for value in ("javascript:alert(1)", "SPT-abc", "../../admin/", "SPT-1234567890"):
        html = client.get(reverse("agent:request", args=[r.key]),
                          {"from": A_QUALIFIER, "suivante": value}).content.decode()
        assert "data-next-request" not in html, value


@pytest.mark.django_db
def test_queue_rows_carry_their_queue_to_the_request_page(client, frontdesk, four_open):
    client.force_login(frontdesk)
    html = client.get(A_QUALIFIER, {"sort": "oldest"}).content.decode()
    r = four_open[0]
    assert (f'href="/agent/requests/{r.key}/?from=%2Fagent%2Fqueues%2Fa-qualifier%2F%3F'
            f'sort%3Doldest"') in html
    # The request page opened so keeps it on the forms it draws later (htmx) too.
    page = client.get(f"/agent/requests/{r.key}/", {"from": f"{A_QUALIFIER}?sort=oldest"})
    slots = re.findall(r'hx-get="(/agent/requests/[^"]+/forms/[a-z_]+/[^"]*)"',
                       page.content.decode())
    assert slots and all("from=%2Fagent%2Fqueues%2Fa-qualifier%2F%3Fsort%3Doldest" in s
                         for s in slots)
    slot = client.get(slots[0].replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()
    assert "?from=%2Fagent%2Fqueues%2Fa-qualifier%2F%3Fsort%3Doldest" in slot


# ------------------------------------------------------------------- the selector alone

@pytest.mark.django_db
def test_the_next_request_is_one_bounded_query_whatever_the_sort(frontdesk, client_user):
    made = [factories.make_request(client_user, priority_code=code, type_code=kind)
            for code, kind in (("high", "support"), ("low", "patch"), ("high", "patch"),
                               ("medium", "support"), ("blocking", "support"))]
    queue = queues.queue_get("a-qualifier")
    # Patch requests have no SLO: NULL due times, last in the SLO order.
    for sort in ("", "slo", "priority", "newest", "oldest", "updated"):
        rows = queues.queue_requests(frontdesk, queue, now=timezone.now(), sort=sort)
        order = [f"SPT-{n}" for n in rows.values_list("number", flat=True)]
        by_key = {r.key: r for r in made}
        for index, key in enumerate(order):
            position = queue_position_of(rows, by_key[key])
            with CaptureQueriesContext(connection) as captured:
                after = queue_request_after(rows, position)
            assert len(captured) == 1
            assert "LIMIT 1" in captured.captured_queries[0]["sql"]
            assert after == (order[index + 1] if index + 1 < len(order) else None), (
                sort, order, key)


@pytest.mark.django_db
def test_the_next_request_while_searching_follows_the_rank(frontdesk, client_user):
    for title in ("Écran figé", "Écran figé à la clôture", "Clôture bloquée", "Autre"):
        factories.make_request(client_user, title=title)
    queue = queues.queue_get("a-qualifier")
    rows = queues.queue_requests(frontdesk, queue, now=timezone.now(), text="clôture")
    order = list(rows.values_list("number", flat=True))
    assert len(order) >= 2
    first = selectors.request_get_for_user(frontdesk, order[0])
    position = queue_position_of(rows, first)
    assert queue_request_after(rows, position) == f"SPT-{order[1]}"


# ---------------------------------------------------- the request before (j / k on the page)

@pytest.fixture
def ties_and_nulls(client_user, walk):
    """Requests whose queue orders have ties and NULLs: pairs made at the same instant with
    the same priority (the same SLO due time: the number breaks the tie), patch requests
    without SLO (NULL due times, last in the SLO order, tied among themselves), and two
    withdrawn at the same instant (a tie on the closing time; the open ones have none)."""
    made = []
    with time_machine.travel(timezone.now(), tick=False):
        for code, kind in (("high", "support"), ("low", "patch"), ("high", "support"),
                           ("low", "support"), ("medium", "patch"), ("low", "support")):
            made.append(factories.make_request(client_user, priority_code=code,
                                               type_code=kind))
    made.append(factories.make_request(client_user, priority_code="blocking"))
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=5), tick=False):
        made += [walk(S.CLOSED), walk(S.CLOSED)]
    return made


def neighbours_in_order(user, slug: str, **filters) -> list[tuple[str, str | None, str | None]]:
    """(key, the one before, the one after) for each request of the queue, as the selectors
    find them from its position; each read is asserted to be one ``LIMIT 1`` query."""
    rows = queues.queue_requests(user, queues.queue_get(slug), now=timezone.now(), **filters)
    found = []
    for request_obj in rows:
        position = queue_position_of(rows, request_obj)
        with CaptureQueriesContext(connection) as before_queries:
            before = queue_request_before(rows, position)
        with CaptureQueriesContext(connection) as after_queries:
            after = queue_request_after(rows, position)
        with CaptureQueriesContext(connection) as both_queries:
            both = queue_neighbours_of(rows, position)
        for captured in (before_queries, after_queries):
            assert len(captured) == 1
            assert "LIMIT 1" in captured.captured_queries[0]["sql"]
        assert len(both_queries) == 1
        assert (both.before, both.after) == (before, after)
        found.append((request_obj.key, before, after))
    return found


def expected_from(order: list[str]) -> list[tuple[str, str | None, str | None]]:
    return [(key, order[index - 1] if index else None,
             order[index + 1] if index + 1 < len(order) else None)
            for index, key in enumerate(order)]


@pytest.mark.django_db
def test_the_first_has_no_previous_and_the_last_no_next(frontdesk, four_open):
    order = queue_order(frontdesk, "a-qualifier")
    found = neighbours_in_order(frontdesk, "a-qualifier")
    assert found[0] == (order[0], None, order[1])  # first: nothing before
    assert found[1] == (order[1], order[0], order[2])  # in the middle: both sides
    assert found[-1] == (order[-1], order[-2], None)  # last: nothing after


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["", "slo", "priority", "newest", "oldest", "updated"])
def test_the_request_before_mirrors_the_one_after_whatever_the_sort(frontdesk, ties_and_nulls,
                                                                     sort):
    order = queue_order(frontdesk, "a-qualifier", sort=sort)
    assert len(order) == 7
    assert neighbours_in_order(frontdesk, "a-qualifier", sort=sort) == expected_from(order)


@pytest.mark.django_db
def test_the_slo_order_has_nulls_last_and_ties_the_number_breaks(frontdesk, ties_and_nulls):
    """The premise of the test above: the SLO order (the default) ends with requests without
    a due time, and has requests with the same due time, in the order of their numbers."""
    rows = queues.queue_requests(frontdesk, queues.queue_get("a-qualifier"),
                                 now=timezone.now())
    due = list(rows.values_list("slo_due_at", "number"))
    assert due[-1][0] is None and due[-2][0] is None and due[0][0] is not None
    tied = [pair for pair in zip(due, due[1:], strict=False)
            if pair[0][0] is not None and pair[0][0] == pair[1][0]]
    assert tied and all(a[1] < b[1] for a, b in tied)


@pytest.mark.django_db
def test_the_request_before_with_nulls_last_in_a_descending_order(frontdesk, ties_and_nulls):
    """"Fermeture la plus récente": the closed ones, newest first (two closed at the same
    instant: the newest number first), then those never closed, NULLs last."""
    order = queue_order(frontdesk, "toutes", sort="closed")
    closed = {r.key for r in ties_and_nulls[-2:]}
    assert set(order[:2]) == closed
    assert int(order[0].removeprefix("SPT-")) > int(order[1].removeprefix("SPT-"))
    assert neighbours_in_order(frontdesk, "toutes", sort="closed") == expected_from(order)


@pytest.mark.django_db
def test_the_request_before_while_searching_follows_the_rank(frontdesk, client_user):
    for title in ("Écran figé", "Écran figé à la clôture", "Clôture bloquée",
                  "Clôture annuelle", "Autre"):
        factories.make_request(client_user, title=title)
    order = queue_order(frontdesk, "a-qualifier", text="clôture")
    assert len(order) == 3
    assert neighbours_in_order(frontdesk, "a-qualifier", text="clôture") == expected_from(
        order)


@pytest.mark.django_db
@pytest.mark.parametrize("order_by", [
    (F("slo_due_at").asc(nulls_first=True), "number"),
    (F("slo_due_at").desc(nulls_first=True), "-number"),
    (F("slo_due_at").desc(nulls_last=True), "number"),
])
def test_the_request_before_with_nulls_first(frontdesk, ties_and_nulls, order_by):
    """No queue sorts NULLs first today; the keyset follows any order of this shape, and
    one that did would be mirrored alike (compared with that queryset's own list)."""
    rows = queues.queue_requests(frontdesk, queues.queue_get("a-qualifier"),
                                 now=timezone.now()).order_by(*order_by)
    order = [f"SPT-{n}" for n in rows.values_list("number", flat=True)]
    found = []
    for request_obj in rows:
        position = queue_position_of(rows, request_obj)
        found.append((request_obj.key, queue_request_before(rows, position),
                      queue_request_after(rows, position)))
    assert found == expected_from(order)


# ------------------------------------------------ the request page's links to its neighbours

NEIGHBOUR_LINK = re.compile(
    r'<a href="(?P<href>[^"]+)" rel="(?P<rel>prev|next)" aria-keyshortcuts="[jk]" '
    r'data-queue-(?:previous|next)>')


def neighbour_links(client, key: str, origin: str | None) -> dict[str, str]:
    params = {"from": origin} if origin is not None else {}
    page = client.get(reverse("agent:request", args=[key]), params)
    assert page.status_code == 200
    return {m["rel"]: m["href"].replace("&amp;", "&")
            for m in NEIGHBOUR_LINK.finditer(page.content.decode())}


def page_of(key: str, origin: str) -> str:
    return f"/agent/requests/{key}/?" + urlencode({"from": origin})


@pytest.mark.django_db
def test_the_request_page_links_its_neighbours_in_the_queue(client, frontdesk, four_open):
    client.force_login(frontdesk)
    order = queue_order(frontdesk, "a-qualifier")
    assert neighbour_links(client, order[0], A_QUALIFIER) == {
        "next": page_of(order[1], A_QUALIFIER)}  # the first: no previous
    assert neighbour_links(client, order[1], A_QUALIFIER) == {
        "prev": page_of(order[0], A_QUALIFIER), "next": page_of(order[2], A_QUALIFIER)}
    assert neighbour_links(client, order[-1], A_QUALIFIER) == {
        "prev": page_of(order[-2], A_QUALIFIER)}  # the last: no next
    html = client.get(page_of(order[1], A_QUALIFIER)).content.decode()
    assert "Demande précédente" in html and "Demande suivante dans la file" in html
    assert 'aria-label="Demandes voisines dans « À qualifier »"' in html


@pytest.mark.django_db
def test_the_neighbours_keep_the_queues_filters_and_sort(client, frontdesk, four_open):
    client.force_login(frontdesk)
    high = factories.priority("high")
    origin = f"{A_QUALIFIER}?priority={high.pk}&sort=oldest"
    order = queue_order(frontdesk, "a-qualifier", priority=high, sort="oldest")
    assert len(order) == 1  # alone in the filtered queue: no neighbour at all
    assert neighbour_links(client, order[0], origin) == {}
    origin = f"{A_QUALIFIER}?sort=oldest"
    keys = sorted((r.key for r in four_open), key=lambda k: int(k.removeprefix("SPT-")))
    assert neighbour_links(client, keys[1], origin) == {
        "prev": page_of(keys[0], origin), "next": page_of(keys[2], origin)}


@pytest.mark.django_db
def test_no_neighbours_without_a_queue(client, frontdesk, four_open):
    client.force_login(frontdesk)
    r = four_open[1]
    for origin in (None, "https://evil.example/agent/queues/a-qualifier/", "/portal/"):
        assert neighbour_links(client, r.key, origin) == {}
        html = client.get(reverse("agent:request", args=[r.key]),
                          {"from": origin} if origin else {}).content.decode()
        assert "data-queue-next" not in html and "data-queue-previous" not in html


@pytest.mark.django_db
def test_after_an_action_the_next_is_the_one_it_offers(client, frontdesk, four_open):
    """One "next" on the page: after an action, "Demande suivante" (the one after the
    request's place before the action), which j follows too; the previous link stays."""
    client.force_login(frontdesk)
    order = queue_order(frontdesk, "a-qualifier")
    by_key = {r.key: r for r in four_open}
    location = comment(client, by_key[order[1]], A_QUALIFIER)
    html = client.get(location).content.decode()
    assert "data-next-request" in html and "data-queue-next" not in html
    assert "data-queue-previous" in html
