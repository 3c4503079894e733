"""Reads of the @-mentions of internal notes (``requests_app.mentions``): whom a note may
mention (the agent page's autocomplete), whom a note's handles name (the comment services),
and "Mes mentions" (the queue, its order and its count of unread mentions)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower

from requests_app.mentions import handle_key
from requests_app.models import Mention, Request
from requests_app.permissions import AGENT_ROLES, ALL_ROLES, BACK_OFFICE_ROLES, Role
from requests_app.selectors.access import request_list_visible_to, request_visible_parts

# The user model (auth.User, not swapped): its class for the type checker, the swappable
# lookup at run time.
if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()
UserGroup = User.groups.through
AnyUser = User | AnonymousUser

# How many colleagues the autocomplete offers at once: typing more narrows them.
SUGGESTIONS_MAX = 8
# The longest beginning the autocomplete searches for (a username has 150 characters at most,
# but nobody types that much before choosing).
TYPED_MAX = 50
# The handles of one text looked up at most: a pasted log full of "@Override" stays one query
# of bounded size.
HANDLES_MAX = 500


def _has_role(*roles: str) -> Exists:
    return Exists(UserGroup.objects.filter(user_id=OuterRef("pk"), group__name__in=roles))


def reads_internal_notes_q(request: Request) -> Q:
    """The back-office people who read the internal notes of ``request``, as a filter over
    users: ``permissions.sees_internal`` (agents and administrators; sales administration on
    the requests it created) for the autocomplete, which offers only the colleagues a mention
    would reach. The comment services ask ``permissions`` itself; a test holds the two
    together."""
    return (Q(is_superuser=True) | Q(_has_role(*AGENT_ROLES))
            | (Q(pk=request.created_by_id) & Q(_has_role(Role.SALES_ADMIN))))


@dataclass(frozen=True)
class MentionSuggestion:
    """One colleague as the autocomplete offers them."""

    username: str
    name: str
    roles: tuple[str, ...]


def mention_suggestions(user: AnyUser, request: Request, typed: str
                        ) -> list[MentionSuggestion]:
    """The colleagues a note of ``user`` on ``request`` may mention whose username, first or
    last name begins with ``typed`` (any case), by name, at most ``SUGGESTIONS_MAX``: active
    people who read the request's internal notes (``reads_internal_notes_q``), never a
    client, never ``user``. Two queries, whatever the number of people."""
    typed = typed.strip().lstrip("@")[:TYPED_MAX]
    people = User.objects.filter(reads_internal_notes_q(request), is_active=True)
    if user.pk is not None:
        people = people.exclude(pk=user.pk)
    if typed:
        people = people.filter(Q(username__istartswith=typed) | Q(first_name__istartswith=typed)
                               | Q(last_name__istartswith=typed))
    rows = list(people.order_by("last_name", "first_name", "username")
                .values_list("pk", "username", "first_name", "last_name")[:SUGGESTIONS_MAX])
    roles: dict[int, list[str]] = defaultdict(list)
    if rows:
        for person_id, role in UserGroup.objects.filter(
                user_id__in=[row[0] for row in rows],
                group__name__in=BACK_OFFICE_ROLES).values_list("user_id", "group__name"):
            roles[person_id].append(role)
    return [
        MentionSuggestion(
            username=username,
            name=f"{first_name} {last_name}".strip() or username,
            roles=tuple(sorted(roles[pk], key=ALL_ROLES.index)),
        )
        for pk, username, first_name, last_name in rows
    ]


def mention_people(handles: Iterable[str]) -> dict[str, User]:
    """{``handle_key``: person} of the handles that name an active back-office person, in one
    query: a client's username, or a word that is nobody's, mentions nobody. Usernames are
    matched ignoring case (two that differ by case only: the older account)."""
    keys = sorted({handle_key(handle) for handle in handles})[:HANDLES_MAX]
    if not keys:
        return {}
    people = (User.objects.annotate(spt_handle=Lower("username"))
              .filter(Q(is_superuser=True) | Q(_has_role(*BACK_OFFICE_ROLES)),
                      spt_handle__in=keys, is_active=True)
              .order_by("pk"))
    found: dict[str, User] = {}
    for person in people:
        found.setdefault(handle_key(person.username), person)
    return found


# --- "Mes mentions" ----------------------------------------------------------------------

def mentioned_requests_q(user: AnyUser) -> Q:
    """The requests an internal note mentions ``user`` in (the queue's filter; the access
    rule comes on top, as for every queue)."""
    return Q(pk__in=Mention.objects.filter(person_id=user.pk).values("request_id"))


def mention_latest_at(user: AnyUser) -> Subquery:
    """Per request, when ``user`` was last mentioned in it: the queue's order."""
    return Subquery(Mention.objects.filter(person_id=user.pk, request_id=OuterRef("pk"))
                    .order_by("-created_at").values("created_at")[:1])


def mention_list_unread(user: AnyUser) -> QuerySet[Mention]:
    """The mentions ``user`` has not read yet, on requests they (still) see: the queue's
    count."""
    unread = Mention.objects.filter(person_id=user.pk, read_at__isnull=True)
    if request_visible_parts(user) is not None:
        unread = unread.filter(request__in=request_list_visible_to(user).values("pk"))
    return unread
