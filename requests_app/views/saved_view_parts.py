"""What the back-office pages show of saved views: the side navigation's list with its counts
(every page), and the queue page's "Enregistrer cette vue" and "Gérer cette vue" panels.

The list is one query; its counts, when the navigation is counted, one more, whatever the
number of views (``selectors.saved_views``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from requests_app import permissions
from requests_app.forms.agent import QueueFilterForm
from requests_app.forms.saved_views import (
    VIEW_PARAMETER,
    SavedViewForm,
    SavedViewRead,
    SavedViewRenameForm,
    queue_filter_query,
    saved_view_current,
    saved_view_read,
)
from requests_app.selectors.counting import BoundedCount
from requests_app.selectors.queues import Queue
from requests_app.selectors.saved_views import saved_view_counts, saved_views_for_user
from requests_app.services.saved_views import SAVED_VIEWS_MAX


@dataclass(frozen=True)
class NavSavedView:
    read: SavedViewRead
    count: BoundedCount | None  # None: not counted on this page (the navigation asks later)
    mine: bool


def saved_views_nav(user: User | AnonymousUser, *, now: datetime, counted: bool
                    ) -> list[NavSavedView]:
    """The views the person may see, for the side navigation; counted when asked."""
    reads = [saved_view_read(view) for view in saved_views_for_user(user)]
    counts = (saved_view_counts(user, {read.pk: (read.queue, read.filters) for read in reads},
                                now=now) if counted else {})
    return [NavSavedView(read=read, count=counts.get(read.pk),
                         mine=read.view.owner_id == user.pk) for read in reads]


def nav_current_view(nav: list[NavSavedView], asked: str | None, queue_slug: str
                     ) -> SavedViewRead | None:
    """The view the navigation marks as the page shown (``?view=`` of its own address)."""
    for item in nav:
        if asked and str(item.read.pk) == asked.strip() and item.read.queue.slug == queue_slug:
            return item.read
    return None


def queue_page_saved_views(
    user: User, *, nav: list[NavSavedView], queue: Queue, filter_form: QueueFilterForm,
    asked: str | None, bound: dict[str, Any],
) -> dict[str, Any]:
    """The queue page's saved-view panels: the view shown (if the address names one and the
    page shows its filters), whether this person may rename or delete it, and the forms."""
    current = saved_view_current([item.read for item in nav], queue=queue, form=filter_form,
                                 asked=asked)
    manages = current is not None and permissions.may_manage_saved_view(
        current.view.owner_id, current.view.shared_role, user)
    own = sum(1 for item in nav if item.mine)
    return {
        "current_view": current,
        "current_view_managed": manages,
        "saved_view_form": bound.get("save") or SavedViewForm(user=user),
        "saved_view_open": "save" in bound,
        "saved_view_query": queue_filter_query(filter_form),
        "saved_views_full": own >= SAVED_VIEWS_MAX and "save" not in bound,
        "saved_views_max": SAVED_VIEWS_MAX,
        "rename_form": (bound.get("rename") or SavedViewRenameForm(
            initial={"name": current.view.name})) if manages and current else None,
        "rename_open": "rename" in bound,
        "view_parameter": VIEW_PARAMETER,
    }
