"""Reads of canned replies ("réponses types"): which replies a person sees is
``access.canned_reply_visible_q``'s answer; a reply is filled only for a request
``access.request_get_for_user`` lets them see (``RequestNotFound`` otherwise).

Replies are counted in hundreds, not millions: a search matches their normalised words with
LIKE, without an index of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.text import Truncator
from modeltranslation.utils import get_language as mt_language

from requests_app.canned_replies import (
    LANGUAGES,
    REFERENCE_LANGUAGE,
    CannedReplyTexts,
    FilledReply,
    canned_reply_fill,
)
from requests_app.exceptions import CannedReplyNotFound
from requests_app.models import CannedReply, Request
from requests_app.preferences import language_of
from requests_app.search import search_terms
from requests_app.selectors.access import (
    AnyUser,
    canned_reply_visible_q,
    request_get_for_user,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()

# The replies the insert control lists at once; a search narrows them.
PICK_LIMIT = 8
PREVIEW_LENGTH = 140


class Scope:
    """The management page's filter: every reply one sees, one's own, or the shared ones."""

    ALL = ""
    MINE = "mine"
    SHARED = "shared"


def canned_reply_list_for_user(user: AnyUser, *, text: str = "",
                               scope: str = Scope.ALL) -> QuerySet[CannedReply]:
    """The replies this person sees, every word of ``text`` found in one of their languages,
    by title in the reader's language (French where it has none)."""
    replies = CannedReply.objects.filter(canned_reply_visible_q(user))
    if scope == Scope.MINE:
        replies = replies.filter(owner_id=user.pk)
    elif scope == Scope.SHARED:
        replies = replies.filter(owner__isnull=True)
    for parts in search_terms(text):
        replies = replies.filter(search_text__contains=" ".join(parts))
    language = mt_language()
    title: F | Coalesce = F(f"title_{REFERENCE_LANGUAGE}")
    if language != REFERENCE_LANGUAGE and language in LANGUAGES:
        title = Coalesce(NullIf(F(f"title_{language}"), Value("")), title)
    return replies.select_related("updated_by").order_by(title.asc(), "pk")


def canned_reply_get_for_user(user: AnyUser, reply_id: int) -> CannedReply:
    """One reply this person sees; ``CannedReplyNotFound`` for any other (another person's
    personal reply included), in the same words."""
    reply = CannedReply.objects.filter(canned_reply_visible_q(user), pk=reply_id).first()
    if reply is None:
        raise CannedReplyNotFound()
    return reply


@dataclass(frozen=True)
class FillTarget:
    """The request a reply is filled for, its customer (the reporter) and their language."""

    request: Request
    customer: User
    language: str


def canned_reply_target(user: AnyUser, key: str) -> FillTarget:
    """The request ``key`` if this person sees it (``RequestNotFound`` otherwise), with its
    customer read in the same query as their language."""
    request = request_get_for_user(user, key, with_people=False)
    customer = User.objects.select_related("profile").get(pk=request.reporter_id)
    request.reporter = customer
    return FillTarget(request=request, customer=customer, language=language_of(customer))


def _filled(reply: CannedReply, target: FillTarget, agent: User) -> FilledReply:
    return canned_reply_fill(texts=CannedReplyTexts.of(reply), request=target.request,
                             customer=target.customer, agent=agent,
                             customer_language=target.language)


@dataclass(frozen=True)
class CannedReplyChoice:
    """One reply offered by the insert control: its title in the agent's language, and the
    beginning of what would be inserted (the customer's language, placeholders filled)."""

    reply: CannedReply
    title: str
    preview: str
    filled: FilledReply


@dataclass(frozen=True)
class CannedReplyPick:
    target: FillTarget
    choices: list[CannedReplyChoice]
    more: bool  # more replies match than are listed


def canned_reply_pick(user: User, key: str, *, text: str = "") -> CannedReplyPick:
    """What the insert control of request ``key``'s page lists for ``text``: the first
    ``PICK_LIMIT`` replies found, each previewed as it would be inserted."""
    target = canned_reply_target(user, key)
    replies = list(canned_reply_list_for_user(user, text=text)[:PICK_LIMIT + 1])
    choices = []
    for reply in replies[:PICK_LIMIT]:
        filled = _filled(reply, target, user)
        choices.append(CannedReplyChoice(
            reply=reply, title=reply.title, filled=filled,
            preview=Truncator(" ".join(filled.body.split())).chars(PREVIEW_LENGTH)))
    return CannedReplyPick(target=target, choices=choices, more=len(replies) > PICK_LIMIT)


def canned_reply_filled(user: User, key: str, reply_id: int) -> FilledReply:
    """Reply ``reply_id`` filled for request ``key`` and this agent, in the customer's
    language: ``RequestNotFound`` for a request they may not see, ``CannedReplyNotFound`` for
    a reply they may not see."""
    target = canned_reply_target(user, key)
    return _filled(canned_reply_get_for_user(user, reply_id), target, user)
