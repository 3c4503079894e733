"""Input of the saved views ("Enregistrer cette vue"): their name and sharing, and the queue
filters they keep.

A view keeps its filters as the queue page's query parameters, parsed by the queue's own
filter form (``QueueFilterForm``) when saved and again whenever read: a view filters exactly as
its page did, and a filter that no longer exists (an organisation or a priority removed, a
person who left, an order the queues no longer offer, a queue renamed) is dropped, the
others kept, instead of an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from requests_app import permissions
from requests_app.forms.agent import QueueFilterForm
from requests_app.models import SavedView
from requests_app.people import person_name_of
from requests_app.selectors.queues import Queue, queue_get
from requests_app.services.saved_views import FILTER_NAMES, NAME_MAX_LENGTH

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Where a view whose queue no longer exists opens: every request, its other filters kept.
FALLBACK_QUEUE = "toutes"
# The query parameter that says which saved view a queue page shows.
VIEW_PARAMETER = "view"


def queue_filter_query(form: QueueFilterForm) -> dict[str, str]:
    """The valid, non-empty filters of a bound queue filter form, as the queue page's query
    parameters (in the form's order); an invalid one is left out, the others kept."""
    if not form.is_bound:
        return {}
    form.is_valid()
    query: dict[str, str] = {}
    for name in FILTER_NAMES:
        value = form.cleaned_data.get(name)
        if value is None or value == "":
            continue
        query[name] = str(value.pk) if isinstance(value, Model) else str(value).strip()
    return query


@dataclass(frozen=True)
class SavedViewRead:
    """A saved view as a page uses it: its queue and its filters, checked again."""

    view: SavedView
    queue: Queue
    query: dict[str, str]  # its valid filters, as the queue page's query parameters
    filters: dict[str, Any]  # the same, as ``queue_requests``' keyword arguments

    @property
    def pk(self) -> int:
        return self.view.pk

    @property
    def url(self) -> str:
        """The queue page with the view's filters (and the view named, for the page and the
        navigation to say it is the one shown)."""
        base = reverse("agent:queue", args=[self.queue.slug])
        return f"{base}?{urlencode({**self.query, VIEW_PARAMETER: self.view.pk})}"

    @property
    def owner_name(self) -> str:
        owner = self.view.owner
        return person_name_of(owner.first_name, owner.last_name, owner.username)


def _stored_data(view: SavedView) -> dict[str, str]:
    """What the view stored, as a form's data: text values of the known names only (a row
    edited by hand may hold anything)."""
    stored = view.filters if isinstance(view.filters, dict) else {}
    return {
        name: str(stored[name]) for name in FILTER_NAMES
        if isinstance(stored.get(name), str | int) and not isinstance(stored.get(name), bool)
    }


def saved_view_read(view: SavedView) -> SavedViewRead:
    """``view`` with its filters parsed again by the queue's filter form."""
    queue = queue_get(view.queue) or queue_get(FALLBACK_QUEUE)
    assert queue is not None  # (one of the queues, always there)
    form = QueueFilterForm(_stored_data(view), default_sort=queue.default_sort)
    query = queue_filter_query(form)
    if form.errors:
        # Parsed again without what was dropped, so that the rest still filters.
        form = QueueFilterForm(query, default_sort=queue.default_sort)
    return SavedViewRead(view=view, queue=queue, query=query, filters=form.filters())


def saved_view_current(reads: list[SavedViewRead], *, queue: Queue, form: QueueFilterForm,
                       asked: str | None) -> SavedViewRead | None:
    """The view a queue page shows: the one its address names (``?view=``), provided the
    page shows that queue with exactly its filters (changed filters are another list)."""
    if not asked:
        return None
    query = queue_filter_query(form)
    for read in reads:
        if str(read.pk) == asked.strip() and read.queue.slug == queue.slug and (
                read.query == query):
            return read
    return None


class SavedViewForm(forms.Form):
    """"Enregistrer cette vue": its name, and whether it is shared with one of one's roles.
    The filters come with it as the queue's own fields (``QueueFilterForm``)."""

    name = forms.CharField(label=_("Nom de la vue"), max_length=NAME_MAX_LENGTH, strip=True)
    shared_role = forms.ChoiceField(label=_("Visible par"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "saved")
        super().__init__(*args, **kwargs)
        field = self.fields["shared_role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", _("Vous seulement")),
            *((role, _("Vous et le rôle %(role)s") % {"role": role})
              for role in permissions.roles_to_share_with(user)),
        ]
        self.fields["name"].widget.attrs["autocomplete"] = "off"


class SavedViewRenameForm(forms.Form):
    name = forms.CharField(label=_("Nouveau nom"), max_length=NAME_MAX_LENGTH, strip=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "rename")
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "off"
