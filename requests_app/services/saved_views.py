"""Writing saved views ("vues enregistrées"): a queue with its filters and order kept under a
name, personal or shared with one back-office role.

Who: every back-office person keeps up to ``SAVED_VIEWS_MAX`` views of their own, and shares
one with a role they hold (an administrator with any role). A view is renamed or deleted by
its owner; a shared one also by an administrator (``permissions.may_manage_saved_view``). A
change starts like a request's: the view re-read through the access rule with its row locked
(``SavedViewNotFound`` for one the person may not see, before anything else), then the role,
then the input.

The filters arrive already parsed by the queue's filter form (``forms.saved_views``), as the
queue page's query parameters; they are stored as such and parsed again whenever read.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import permissions
from requests_app.exceptions import InvalidInput, PermissionDenied, SavedViewNotFound
from requests_app.models import SavedView
from requests_app.selectors.access import saved_view_visible_q
from requests_app.selectors.queues import queue_get

# How many views one person keeps: the sidebar lists them all, on every page.
SAVED_VIEWS_MAX = 20
NAME_MAX_LENGTH = 80
# The query parameters a view keeps (the queue filter form's fields), and how long each may be.
FILTER_NAMES = ("q", "organisation", "priority", "request_type", "assignee", "sort")
FILTER_VALUE_MAX_LENGTH = 100


def _refuse_unless_back_office(actor: User) -> None:
    if not permissions.may_keep_saved_views(actor):
        raise PermissionDenied(_("Les vues enregistrées sont réservées au back office."))


def _name_checked(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Donnez un nom à la vue."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput(_("Le nom d'une vue tient en %(max)d caractères au plus.")
                           % {"max": NAME_MAX_LENGTH}, field="name")
    return name


def _refuse_same_name(name: str, *, owner_id: int, other_than: int | None = None) -> None:
    """One person's views never share a name (whatever its case): the sidebar tells them
    apart by it."""
    same = SavedView.objects.filter(owner_id=owner_id, name__iexact=name)
    if other_than is not None:
        same = same.exclude(pk=other_than)
    if same.exists():
        raise InvalidInput(_("Vous avez déjà une vue nommée « %(name)s » : choisissez un "
                             "autre nom.") % {"name": name}, field="name")


def _filters_checked(filters: Mapping[str, str]) -> dict[str, str]:
    """The filters as stored: the known parameters only, as non-empty text of a bounded
    length (the form parsed their meaning; this keeps a hand-made call from storing
    anything else)."""
    kept: dict[str, str] = {}
    for name in FILTER_NAMES:
        value = filters.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        if len(value) > FILTER_VALUE_MAX_LENGTH:
            raise InvalidInput(_("Un filtre de cette vue est trop long pour être enregistré."))
        kept[name] = value.strip()
    return kept


def saved_view_create(*, owner: User, name: str, queue: str, filters: Mapping[str, str],
                      shared_role: str = "") -> SavedView:
    """A new view of ``queue`` with ``filters``, ``owner``'s own, shared with the role
    ``shared_role`` when given ("" for a personal view)."""
    _refuse_unless_back_office(owner)
    if queue_get(queue) is None:
        raise InvalidInput(_("File d'attente inconnue."), field="queue")
    name = _name_checked(name)
    if shared_role and shared_role not in permissions.roles_to_share_with(owner):
        raise InvalidInput(_("Vous ne pouvez partager une vue qu'avec un de vos rôles."),
                           field="shared_role")
    kept = _filters_checked(filters)
    now = timezone.now()
    with transaction.atomic():
        # The owner's own row, locked: two saves at once cannot both pass the limit. (No
        # shared row is locked: each person's saves wait only for each other.)
        get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
        if SavedView.objects.filter(owner_id=owner.pk).count() >= SAVED_VIEWS_MAX:
            raise InvalidInput(
                _("Vous avez déjà %(max)d vues enregistrées, le maximum : supprimez-en une "
                  "avant d'en enregistrer une autre.") % {"max": SAVED_VIEWS_MAX},
                code="limit")
        _refuse_same_name(name, owner_id=owner.pk)
        view = SavedView(owner=owner, name=name, queue=queue, filters=kept,
                         shared_role=shared_role, created_at=now, updated_at=now)
        view.full_clean()
        view.save()
    return view


def _view_for_change(actor: User, view: SavedView | int) -> SavedView:
    """The first step of a change, inside its transaction (see the module's docstring)."""
    pk = view if isinstance(view, int) else view.pk
    locked = (SavedView.objects.select_for_update()
              .filter(saved_view_visible_q(actor), pk=pk).first())
    if locked is None:
        raise SavedViewNotFound()
    if not permissions.may_manage_saved_view(locked.owner_id, locked.shared_role, actor):
        raise PermissionDenied(_("Seule la personne qui a enregistré cette vue (ou un "
                                 "administrateur, pour une vue partagée) la renomme ou la "
                                 "supprime."))
    return locked


def saved_view_rename(*, actor: User, view: SavedView | int, name: str) -> SavedView:
    with transaction.atomic():
        locked = _view_for_change(actor, view)
        name = _name_checked(name)
        _refuse_same_name(name, owner_id=locked.owner_id, other_than=locked.pk)
        locked.name = name
        locked.updated_at = timezone.now()
        locked.save(update_fields=["name", "updated_at"])
    return locked


def saved_view_delete(*, actor: User, view: SavedView | int) -> SavedView:
    """The view removed for good; returned as it was (its name for the message, its queue
    and filters for where to go next)."""
    with transaction.atomic():
        locked = _view_for_change(actor, view)
        gone = SavedView(pk=locked.pk, owner_id=locked.owner_id, name=locked.name,
                         queue=locked.queue, filters=locked.filters,
                         shared_role=locked.shared_role)
        locked.delete()
    return gone
