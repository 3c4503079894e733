"""``{% page_links page_obj as pages %}``: the numbers a list's pagination shows
(``partials/pagination.html``): the first and the last page, two either side of the current
one, a gap for the others.

A list whose count stops at its cap (``BoundedPaginator``: "999+") knows its pages up to the
cap only: its last number is the last page known, followed by a gap, and the total reads
"20+" (filters narrow a longer list). Nothing here counts: the numbers come from the count
the page has already made.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.core.paginator import Page
from django.utils.formats import number_format

register = template.Library()

# Pages shown either side of the current one; the nearest ``NEAR_ON_PHONES`` of them on a
# phone too, the others from the small breakpoint up.
ON_EACH_SIDE = 2
NEAR_ON_PHONES = 1


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None: a gap ("…")
    current: bool = False
    wide_only: bool = False  # left out on a phone


@dataclass(frozen=True)
class PageLinks:
    links: list[PageLink]
    total_shown: str  # "20", or "20+" when the count stopped at its cap
    more: bool  # pages beyond the last number, not counted


@register.simple_tag
def page_links(page_obj: Page) -> PageLinks:
    paginator = page_obj.paginator
    current = page_obj.number
    bounded = getattr(paginator, "bounded", None)
    more = bool(bounded is not None and bounded.capped)
    links = []
    for item in paginator.get_elided_page_range(current, on_each_side=ON_EACH_SIDE, on_ends=1):
        if not isinstance(item, int):
            links.append(PageLink(None))
            continue
        far = abs(item - current) > NEAR_ON_PHONES and item not in (1, paginator.num_pages)
        links.append(PageLink(item, current=item == current, wide_only=far))
    if more:
        links.append(PageLink(None))
    total = number_format(paginator.num_pages, force_grouping=True)
    return PageLinks(links=links, total_shown=f"{total}+" if more else total, more=more)
