"""Who may sign in through the identity provider, and as what.

The rules, applied on every sign-in (``requests_app.sso`` hands over what the provider said):

* the person is the account of their verified e-mail address (compared without case); an
  address that two accounts share signs nobody in;
* a deactivated account, or a client of a deactivated organisation, is refused;
* the provider's groups, through ``OIDC_ROLE_MAP``, are the person's back-office roles: their
  role groups become exactly those (a role removed at the provider is removed here); groups
  that are not roles are left alone; superuser and staff are never granted nor taken away;
* someone with at least one role signs in to the back office, their account created at the
  first sign-in; a client account (one with an organisation) never becomes a back-office one;
* someone with no role signs in only as a client, when ``OIDC_CUSTOMERS`` allows it: their
  existing client account, or a new one in the organisation that the provider names (the
  ``OIDC_ORGANISATION_CLAIM`` claim, an organisation's name) or that their e-mail's domain
  belongs to (``OIDC_CUSTOMER_DOMAINS``); otherwise they are refused. An account that had
  roles and has none at the provider any more loses them, and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portal.errors import SptError
from requests_app.models import Organisation, Profile
from requests_app.permissions import BACK_OFFICE_ROLES

# Django's username: at most 150 characters of letters, digits and ``_ . @ + -``.
USERNAME_MAX_LENGTH = 150
NAME_MAX_LENGTH = 150
_USERNAME_UNSAFE = re.compile(r"[^\w.+-]", re.ASCII)
# A user name looks like an address part: one "@", something either side.
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class SsoRefused(SptError):
    """The provider signed the person in, the portal does not let them in."""

    code = "sso_refused"
    status = 403


@dataclass(frozen=True)
class SsoIdentity:
    """What the provider says of the person, from the verified token and its user info."""

    subject: str
    email: str
    email_verified: bool
    first_name: str = ""
    last_name: str = ""
    groups: frozenset[str] = frozenset()
    # The organisation the provider names, for a client (empty when it names none).
    organisation: str = ""


@dataclass(frozen=True)
class SsoPolicy:
    role_map: Mapping[str, str] = field(default_factory=dict)
    customers_allowed: bool = False
    customer_domains: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls) -> SsoPolicy:
        return cls(role_map=dict(settings.OIDC_ROLE_MAP),
                   customers_allowed=bool(settings.OIDC_CUSTOMERS),
                   customer_domains=dict(settings.OIDC_CUSTOMER_DOMAINS))


def sso_roles_for(*, groups: frozenset[str], policy: SsoPolicy) -> frozenset[str]:
    """The back-office roles the provider's ``groups`` give."""
    return frozenset(policy.role_map[group] for group in groups
                     if group in policy.role_map) & BACK_OFFICE_ROLES


def _username_for(email: str) -> str:
    """A free username from the address's local part (what a mention writes: ``@marc.keller``),
    numbered when taken."""
    base = _USERNAME_UNSAFE.sub("", email.split("@", 1)[0].lower())[:USERNAME_MAX_LENGTH - 4]
    base = base.strip(".+-") or "sso"
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _organisation_for(identity: SsoIdentity, policy: SsoPolicy) -> Organisation:
    name = identity.organisation.strip()
    if not name:
        domain = identity.email.rsplit("@", 1)[1].lower()
        name = policy.customer_domains.get(domain, "")
    organisation = Organisation.objects.filter(name__iexact=name).first() if name else None
    if organisation is None:
        raise SsoRefused(_("Votre organisation n’est pas connue du portail. Demandez à votre "
                           "contact au Customer Service d’ouvrir votre accès."))
    return organisation


def _roles_set(user: User, roles: frozenset[str]) -> None:
    """The person's role groups become exactly ``roles``; other groups stay."""
    held = set(user.groups.filter(name__in=BACK_OFFICE_ROLES).values_list("name", flat=True))
    if held - roles:
        user.groups.remove(*Group.objects.filter(name__in=held - roles))
    if roles - held:
        user.groups.add(*Group.objects.filter(name__in=roles - held))
    # permissions.roles_of keeps the roles it read on the object.
    vars(user).pop("_spt_roles", None)


def _names_update(user: User, identity: SsoIdentity) -> list[str]:
    changed = []
    for attribute in ("first_name", "last_name"):
        value = getattr(identity, attribute)[:NAME_MAX_LENGTH]
        if value and getattr(user, attribute) != value:
            setattr(user, attribute, value)
            changed.append(attribute)
    return changed


def _account_of(email: str) -> User | None:
    """The one account of ``email``, locked; None when there is none."""
    accounts = list(User.objects.select_for_update().filter(email__iexact=email)
                    .order_by("pk")[:2])
    if len(accounts) > 1:
        raise SsoRefused(_("Plusieurs comptes du portail portent l’adresse %(email)s. Un "
                           "administrateur doit d’abord les distinguer.") % {"email": email})
    user = accounts[0] if accounts else None
    if user is not None and not user.is_active:
        raise SsoRefused(_("Votre compte du portail est désactivé."))
    return user


def _account_create(identity: SsoIdentity, organisation: Organisation | None) -> User:
    email = identity.email.strip()
    user = User(username=_username_for(email), email=email)
    _names_update(user, identity)
    # Signs in through the provider only, until someone sets a password.
    user.set_unusable_password()
    try:
        user.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise SsoRefused(_("Le fournisseur d’identité a transmis une adresse e-mail que le "
                           "portail ne peut pas accepter.")) from exc
    user.save()
    Profile.objects.create(user=user, organisation=organisation)
    return user


def sso_person_sign_in(*, identity: SsoIdentity, policy: SsoPolicy) -> User:
    """The account ``identity`` signs in to, created or brought up to date with the
    provider's roles; :class:`SsoRefused` with the reason otherwise (see the module's
    rules)."""
    email = identity.email.strip()
    if not identity.email_verified or not _ADDRESS.fullmatch(email):
        raise SsoRefused(_("Le fournisseur d’identité n’a pas transmis d’adresse e-mail "
                           "vérifiée : la connexion est impossible."))
    roles = sso_roles_for(groups=identity.groups, policy=policy)
    without_role = False
    with transaction.atomic():
        user = _account_of(email)
        profile: Profile | None = Profile.objects.filter(user=user).select_related(
            "organisation").first() if user is not None else None
        organisation = profile.organisation if profile is not None else None
        if roles and organisation is not None:
            raise SsoRefused(_("Votre compte du portail est un compte client : il ne peut pas "
                               "recevoir de rôle du back-office."))
        if not roles and (not policy.customers_allowed
                          or (user is not None and organisation is None)):
            without_role = True
            if user is not None:
                # Gone at the provider, gone here: committed, then the refusal.
                _roles_set(user, frozenset())
        else:
            if not roles:
                organisation = organisation or _organisation_for(identity, policy)
                if not organisation.is_active:
                    raise SsoRefused(_("L’accès de votre organisation au portail est "
                                       "désactivé."))
            if user is None:
                user = _account_create(identity, organisation)
            else:
                changed = _names_update(user, identity)
                if changed:
                    user.save(update_fields=changed)
                if profile is None:
                    Profile.objects.create(user=user)
            _roles_set(user, roles)
    if without_role or user is None:
        raise SsoRefused(_("Votre compte n’a aucun rôle du portail chez le fournisseur "
                           "d’identité. Demandez à votre administrateur de vous en "
                           "attribuer un."))
    return user
