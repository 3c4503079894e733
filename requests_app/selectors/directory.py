"""The back-office people as the queue filters offer them ("Assignée à"), and whom a client
reads as "Customer Service", from each process's copy (``selectors.process_copy``).

Why: every queue page listed them with a DISTINCT join of the users and their roles, a
millisecond of a fifteen-millisecond page, for a list that changes when someone joins,
leaves or changes role. Every save or deletion of a user or a role, and every change of
someone's roles, forgets the copy (signals, as for the reference rows) — except a sign-in,
which only writes ``last_login``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save

from requests_app import permissions
from requests_app.people import person_name_of
from requests_app.selectors.process_copy import ProcessCopy


@dataclass(frozen=True)
class Colleague:
    pk: int
    name: str  # as a person is named on every page: full name, else username
    roles: frozenset[str]


# Who a client reads as "Customer Service" rather than by name: the people whose only roles
# are behind it (experts, R&D); the client deals with Customer Service.
_BEHIND_CUSTOMER_SERVICE = frozenset({permissions.Role.EXPERT, permissions.Role.RND})


@dataclass(frozen=True)
class _Directory:
    people: tuple[Colleague, ...]
    unnamed_for_customers: frozenset[int]


def _load() -> _Directory:
    User = get_user_model()
    memberships = (
        User.groups.through.objects
        .filter(user__is_active=True, group__name__in=sorted(permissions.AGENT_ROLES))
        .order_by("user__last_name", "user__first_name", "user__username")
        .values_list("user_id", "user__first_name", "user__last_name", "user__username",
                     "group__name")
    )
    found: dict[int, tuple[str, set[str]]] = {}
    for pk, first_name, last_name, username, role in memberships:
        found.setdefault(pk, (person_name_of(first_name, last_name, username), set()))[1].add(
            role)
    people = tuple(Colleague(pk=pk, name=name, roles=frozenset(roles))
                   for pk, (name, roles) in found.items())
    return _Directory(people=people, unnamed_for_customers=frozenset(
        person.pk for person in people if not person.roles - _BEHIND_CUSTOMER_SERVICE))


DIRECTORY_COPY: ProcessCopy[_Directory] = ProcessCopy("spt:directory-version", _load)


def back_office_colleagues(role: str | None = None) -> tuple[Colleague, ...]:
    """The active people of the agent roles (of ``role`` only, when given), by last name,
    first name and username."""
    people = DIRECTORY_COPY.current().people
    if role is None:
        return people
    return tuple(person for person in people if role in person.roles)


def unnamed_for_customers(person_pk: int | None) -> bool:
    """Whether a client reads this person as "Customer Service" (an expert or R&D person,
    from the copy: no query)."""
    return person_pk in DIRECTORY_COPY.current().unnamed_for_customers


def _user_saved(update_fields: Any = None, **kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in: neither name, state nor role changed
    DIRECTORY_COPY.changed()


def directory_signals_connect() -> None:
    """Called once by the app's ``ready``."""
    User = get_user_model()
    post_save.connect(_user_saved, sender=User, dispatch_uid="directory_user_saved")
    post_delete.connect(DIRECTORY_COPY.changed, sender=User,
                        dispatch_uid="directory_user_deleted")
    m2m_changed.connect(DIRECTORY_COPY.changed, sender=User.groups.through,
                        dispatch_uid="directory_roles_changed")
    for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
        signal.connect(DIRECTORY_COPY.changed, sender=Group,
                       dispatch_uid=f"directory_role_{name}")
