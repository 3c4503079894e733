"""Writing canned replies ("réponses types").

Who: every back-office person keeps personal replies, seen and changed by them alone; the
replies shared with the whole back office are written by ServiceDesk and administrators
(``permissions.may_manage_shared_canned_replies``) and used by everyone. A change starts like
a request's: the reply re-read through the access rule with its row locked
(``CannedReplyNotFound`` for one the person may not see, before anything else), then the
revision the page showed ("modifiée entre-temps"), then the role, then the input.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import permissions
from requests_app.canned_replies import (
    LANGUAGES,
    REFERENCE_LANGUAGE,
    CannedReplyTexts,
    canned_reply_search_text,
    canned_reply_texts_check,
)
from requests_app.exceptions import (
    CannedReplyNotFound,
    InvalidInput,
    PermissionDenied,
    StaleRequest,
)
from requests_app.models import CannedReply
from requests_app.selectors.access import canned_reply_visible_q


def _refuse_unless_back_office(actor: User) -> None:
    if not permissions.may_use_canned_replies(actor):
        raise PermissionDenied(_("Les réponses types sont réservées au back office."))


def _refuse_unless_shared_manager(actor: User) -> None:
    if not permissions.may_manage_shared_canned_replies(actor):
        raise PermissionDenied(_("Les réponses types partagées sont écrites par le ServiceDesk "
                                 "et les administrateurs : demandez-leur ce changement."))


def _texts_checked(titles: Mapping[str, str], bodies: Mapping[str, str]) -> CannedReplyTexts:
    return canned_reply_texts_check(titles=titles, bodies=bodies,
                                    body_max_length=settings.COMMENT_MAX_LENGTH)


def _refuse_same_title(texts: CannedReplyTexts, *, owner: User | None,
                       other_than: int | None = None) -> None:
    """Two replies of one list (a person's own, or the shared ones) never share a French
    title: the agent picks by title."""
    same = CannedReply.objects.filter(
        **{f"title_{REFERENCE_LANGUAGE}__iexact": texts.titles[REFERENCE_LANGUAGE]})
    same = same.filter(owner__isnull=True) if owner is None else same.filter(owner=owner)
    if other_than is not None:
        same = same.exclude(pk=other_than)
    if same.exists():
        raise InvalidInput(_("Une autre réponse type porte déjà ce titre : choisissez-en un "
                             "autre."), field=f"title_{REFERENCE_LANGUAGE}")


def _texts_set(reply: CannedReply, texts: CannedReplyTexts) -> None:
    for code in LANGUAGES:
        setattr(reply, f"title_{code}", texts.titles[code])
        setattr(reply, f"body_{code}", texts.bodies[code])
    reply.search_text = canned_reply_search_text(texts)


def canned_reply_create(*, actor: User, titles: Mapping[str, str], bodies: Mapping[str, str],
                        shared: bool) -> CannedReply:
    """A new reply: ``actor``'s own, or shared with the back office (``shared``)."""
    _refuse_unless_back_office(actor)
    if shared:
        _refuse_unless_shared_manager(actor)
    texts = _texts_checked(titles, bodies)
    owner = None if shared else actor
    now = timezone.now()
    with transaction.atomic():
        _refuse_same_title(texts, owner=owner)
        reply = CannedReply(owner=owner, created_at=now, updated_at=now, updated_by=actor)
        _texts_set(reply, texts)
        reply.save()
    return reply


def _reply_for_change(actor: User, reply: CannedReply | int, revision: int) -> CannedReply:
    """The first step of a change, inside its transaction (see the module's docstring)."""
    pk = reply if isinstance(reply, int) else reply.pk
    locked = (CannedReply.objects.select_for_update()
              .filter(canned_reply_visible_q(actor), pk=pk).first())
    if locked is None:
        raise CannedReplyNotFound()
    if locked.revision != revision:
        raise StaleRequest(_("Cette réponse type a été modifiée entre-temps : relisez sa "
                             "version actuelle avant de l'enregistrer ou de la supprimer."))
    if locked.is_shared:
        _refuse_unless_shared_manager(actor)
    return locked


def canned_reply_update(*, actor: User, reply: CannedReply | int, revision: int,
                        titles: Mapping[str, str], bodies: Mapping[str, str],
                        shared: bool) -> CannedReply:
    """New texts for a reply, as of ``revision`` (the one the page showed). ``shared`` moves
    it: one's own reply shared with the back office, or a shared one taken back as one's own
    (both for those who write the shared ones)."""
    with transaction.atomic():
        locked = _reply_for_change(actor, reply, revision)
        if shared and not locked.is_shared:
            _refuse_unless_shared_manager(actor)
        texts = _texts_checked(titles, bodies)
        # A personal reply is its owner's to change: the actor's.
        owner = None if shared else actor
        _refuse_same_title(texts, owner=owner, other_than=locked.pk)
        _texts_set(locked, texts)
        locked.owner = owner
        locked.revision += 1
        locked.updated_at = timezone.now()
        locked.updated_by = actor
        locked.save()
    return locked


def canned_reply_delete(*, actor: User, reply: CannedReply | int, revision: int) -> None:
    """A reply removed for good, as of ``revision`` (the one the page showed)."""
    with transaction.atomic():
        _reply_for_change(actor, reply, revision).delete()
