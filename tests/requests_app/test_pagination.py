"""Numbered pagination (partials/pagination.html): previous, the first and the last page, two
either side of the current one, gaps for the rest, aria-current on the current one; the links
keep the filters and the order; a count stopped at its cap numbers the pages it knows."""

from __future__ import annotations

import re

import pytest
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory

from requests_app.templatetags.pagination import page_links
from tests import factories


def shown(paginator: Paginator, number: int) -> list:
    """The numbers the pagination shows, "…" for a gap, [n] for the current page."""
    links = page_links(paginator.page(number)).links
    return ["…" if link.number is None else [link.number] if link.current else link.number
            for link in links]


def test_first_last_neighbours_and_gaps():
    paginator = Paginator(range(1000), 50)  # 20 pages
    assert shown(paginator, 1) == [[1], 2, 3, "…", 20]
    assert shown(paginator, 4) == [1, 2, 3, [4], 5, 6, "…", 20]
    assert shown(paginator, 10) == [1, "…", 8, 9, [10], 11, 12, "…", 20]
    assert shown(paginator, 20) == [1, "…", 18, 19, [20]]
    assert shown(Paginator(range(120), 50), 2) == [1, [2], 3]
    # On a phone: the first, the last, the current one and its nearest neighbours.
    wide_only = [link.number for link in page_links(paginator.page(10)).links
                 if link.wide_only]
    assert wide_only == [8, 12]


class CappedPaginator(Paginator):
    """What BoundedPaginator tells the pagination: a count that stopped at 999."""

    class bounded:  # noqa: N801 - the attribute BoundedPaginator has
        capped = True

    count = 999


def test_a_capped_count_numbers_the_pages_it_knows():
    pages = page_links(CappedPaginator(range(999), 50).page(20))
    assert pages.more and pages.total_shown == "20+"
    assert [link.number for link in pages.links][-2:] == [20, None]


def render(page_number: int, query: str) -> str:
    paginator = Paginator(range(1000), 50)
    request = RequestFactory().get(f"/agent/queues/toutes/?{query}")
    return render_to_string("partials/pagination.html", {
        "page_obj": paginator.page(page_number), "label": "Pages"}, request=request)


def test_links_keep_the_filters_and_order_and_mark_the_current_page():
    html = render(10, "priority=3&sort=newest&page=10&view=4")
    assert 'aria-label="Pages"' in html and "Page 10 sur 20 (1000 éléments)" in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs == [f"?priority=3&amp;sort=newest&amp;page={n}&amp;view=4"
                     for n in (9, 1, 8, 9, 10, 11, 12, 20, 11)]
    current = re.findall(r'<a class="page-link" href="[^"]*page=(\d+)[^"]*" aria-current="page">',
                         html)
    assert current == ["10"] and html.count('aria-current="page"') == 1
    assert 'rel="prev"' in html and 'rel="next"' in html
    assert html.count("…") == 2 and html.count('spt-page-gap" aria-hidden="true"') == 2
    first = render(1, "q=cl%C3%B4ture")
    assert ('<span class="page-link"><span class="spt-page-arrow" aria-hidden="true">‹</span>'
            '<span class="spt-page-word">Précédente</span></span>') in first
    assert 'href="?q=cl%C3%B4ture&amp;page=2" rel="next"' in first


@pytest.mark.django_db
def test_queue_pages_are_numbered_with_their_filters(client, client_user, frontdesk):
    for _ in range(55):
        factories.make_request(client_user)
    client.force_login(frontdesk)
    html = client.get("/agent/queues/a-qualifier/", {"sort": "newest", "page": 2}
                      ).content.decode()
    nav = html[html.index('class="spt-pagination"'):]
    assert "Page 2 sur 2 (55 éléments)" in nav
    assert 'href="?sort=newest&amp;page=1"' in nav
    assert re.search(r'href="\?sort=newest&amp;page=2" aria-current="page">'
                     r'<span class="visually-hidden">Page </span>2</a>', nav)
    assert client.get("/agent/queues/a-qualifier/", {"page": 3}).status_code == 404
