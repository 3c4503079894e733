"""Who may do what: roles and object checks in one place.

Transitions (as django-fsm ``permission``), selectors and view mixins all ask this module.
Roles are Django groups; a person's roles are read once per request object and cached on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from requests_app.models import Request

    AnyUser = User | AnonymousUser


class Role:
    FRONTDESK = "FrontDesk"
    DAILY = "Daily"
    SERVICEDESK = "ServiceDesk"
    EXPERT = "Expert"
    RND = "R&D"
    SALES_ADMIN = "Administration des ventes"


AGENT_ROLES = frozenset(
    {Role.FRONTDESK, Role.DAILY, Role.SERVICEDESK, Role.EXPERT, Role.RND}
)
BACK_OFFICE_ROLES = AGENT_ROLES | {Role.SALES_ADMIN}
ALL_ROLES = [Role.FRONTDESK, Role.DAILY, Role.SERVICEDESK, Role.EXPERT, Role.RND,
             Role.SALES_ADMIN]


def roles_of(user: AnyUser) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_spt_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        # Cached on the object itself (no user type declares the attribute).
        vars(user)["_spt_roles"] = cached
    return cached


def has_role(user: AnyUser, *roles: str) -> bool:
    return bool(roles_of(user).intersection(roles))


def is_agent(user: AnyUser) -> bool:
    """Customer Service (FrontDesk, Daily, ServiceDesk), experts and R&D."""
    return bool(roles_of(user) & AGENT_ROLES)


def is_sales_admin(user: AnyUser) -> bool:
    return has_role(user, Role.SALES_ADMIN)


def is_back_office(user: AnyUser) -> bool:
    """Everyone who works for the vendor (agents, sales administration, administrators): the
    back-office pages are theirs. What each of them sees is ``request_visible_q``'s answer."""
    return bool(roles_of(user) & BACK_OFFICE_ROLES) or getattr(user, "is_superuser", False)


def sees_every_request(user: AnyUser) -> bool:
    """Agents and administrators see every request, internal notes included. Sales
    administration does not: it sees the licence requests and those it created."""
    return is_agent(user) or getattr(user, "is_superuser", False)


def is_sales_only(user: AnyUser) -> bool:
    """Sales administration without an agent role: the narrower back-office view."""
    return is_sales_admin(user) and not sees_every_request(user)


def organisation_id_of(user: AnyUser) -> int | None:
    """The customer organisation of a client user, None for everyone else."""
    if not getattr(user, "is_authenticated", False):
        return None
    profile = getattr(user, "profile", None)
    return profile.organisation_id if profile else None


def is_client(user: AnyUser) -> bool:
    return organisation_id_of(user) is not None and not is_back_office(user)


# --- transition permissions: (request, user) -> bool, as django-fsm expects ---------------

def may_qualify(request: Request, user: AnyUser) -> bool:
    return has_role(user, Role.FRONTDESK)


def may_start(request: Request, user: AnyUser) -> bool:
    return has_role(user, Role.DAILY, Role.SERVICEDESK)


def may_escalate_to_expert(request: Request, user: AnyUser) -> bool:
    return has_role(user, Role.SERVICEDESK)


def may_return_from_triage(request: Request, user: AnyUser) -> bool:
    return has_role(user, Role.EXPERT)


def may_send_to_rnd(request: Request, user: AnyUser) -> bool:
    return has_role(user, Role.SERVICEDESK, Role.EXPERT)


def may_deliver_fix(request: Request, user: AnyUser) -> bool:
    return has_role(user, Role.RND)


def may_ask_customer(request: Request, user: AnyUser) -> bool:
    return has_role(user, Role.SERVICEDESK)


def may_take_back(request: Request, user: AnyUser) -> bool:
    """"Reprendre": the person it waits on in Customer Service, or any ServiceDesk agent
    (the assignee may be away when the customer answers by phone)."""
    return is_assignee(request, user) or has_role(user, Role.SERVICEDESK)


def may_close_escalated(request: Request, user: AnyUser) -> bool:
    return has_role(user, Role.SERVICEDESK)


def is_assignee(request: Request, user: AnyUser) -> bool:
    return request.assignee_id is not None and request.assignee_id == getattr(user, "pk", None)


def is_reporter(request: Request, user: AnyUser) -> bool:
    return request.reporter_id == getattr(user, "pk", None)


def is_reporter_or_participant(request: Request, user: AnyUser) -> bool:
    if is_reporter(request, user):
        return True
    user_id = getattr(user, "pk", None)
    return user_id is not None and request.participants.filter(user_id=user_id).exists()


def may_answer_as_customer(request: Request, user: AnyUser) -> bool:
    return not is_back_office(user) and is_reporter_or_participant(request, user)


def sees_internal(request: Request, user: AnyUser) -> bool:
    """Internal notes, lines and attachments of ``request`` (a request the person sees):
    agents and administrators always, sales administration on the requests it created."""
    if sees_every_request(user):
        return True
    return is_sales_admin(user) and request.created_by_id == getattr(user, "pk", None)


def is_sales_managed(request: Request) -> bool:
    """A request of a type only sales administration opens (Licence)."""
    return not request.request_type.client_can_open


def may_comment(request: Request, user: AnyUser) -> bool:
    """Commenting on a request the person sees: sales administration only on the requests it
    manages (Licence), never on a Support or Patch request."""
    if is_sales_only(user):
        return is_sales_managed(request)
    return True


def may_add_participant(request: Request, user: AnyUser) -> bool:
    """The reporter adds colleagues; back-office people may add anyone of the organisation."""
    return is_reporter(request, user) or is_back_office(user)


def may_write_internal_note(request: Request, user: AnyUser) -> bool:
    return is_back_office(user) and sees_internal(request, user) and may_comment(request, user)


def may_assign(user: AnyUser) -> bool:
    return has_role(user, Role.DAILY, Role.SERVICEDESK)


def may_edit_details(user: AnyUser) -> bool:
    """Changing type, priority, module… of a request after creation."""
    return is_agent(user)


def may_create_licence(user: AnyUser) -> bool:
    return is_sales_admin(user)


def may_open_on_behalf(user: AnyUser) -> bool:
    return is_back_office(user)


# --- canned replies ("réponses types") ------------------------------------------------------

def may_use_canned_replies(user: AnyUser) -> bool:
    """Inserting canned replies, and keeping personal ones: the whole back office."""
    return is_back_office(user)


def may_manage_shared_canned_replies(user: AnyUser) -> bool:
    """Writing the replies shared with the whole back office: ServiceDesk, who answers the
    customers most, and administrators. Everyone else uses them as they are."""
    return has_role(user, Role.SERVICEDESK) or getattr(user, "is_superuser", False)


# --- saved views ("vues enregistrées") ------------------------------------------------------

def may_keep_saved_views(user: AnyUser) -> bool:
    """Saving a queue with its filters, and seeing the views shared with one's roles: the
    whole back office."""
    return is_back_office(user)


def roles_to_share_with(user: AnyUser) -> list[str]:
    """The roles a person may share a view with: their own (a view shared with a team one is
    not in would fill the sidebars of people one does not work with); an administrator any
    back-office role."""
    if getattr(user, "is_superuser", False):
        return list(ALL_ROLES)
    roles = roles_of(user)
    return [role for role in ALL_ROLES if role in roles]


def may_manage_saved_view(owner_id: int, shared_role: str, user: AnyUser) -> bool:
    """Renaming or deleting a view: its owner; a shared one also an administrator."""
    if owner_id == getattr(user, "pk", None):
        return True
    return bool(shared_role) and getattr(user, "is_superuser", False)
