"""The reads of the API's own data: a person's tokens, and the token a call presents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from api.models import ApiToken
from api.services import TOKEN_PREFIX, token_hash_of
from portal.errors import SptError
from requests_app.exceptions import InvalidInput
from requests_app.models import Organisation
from requests_app.selectors.reference import reference_row

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# The longest plain value worth hashing (ours are 47 characters): anything longer is refused
# before any work.
PLAIN_MAX_LENGTH = 200


class TokenRefused(SptError):
    """The token a call presents does not open the API: unknown, revoked, expired, or its
    owner's account is disabled. ``code`` says which."""

    code = "token_invalid"
    status = 401


def api_token_list_for_owner(owner: User | AnonymousUser) -> QuerySet[ApiToken]:
    """A person's tokens, the newest first, revoked ones included (their history)."""
    return ApiToken.objects.filter(owner_id=owner.pk).order_by("-created_at", "-pk")


def api_token_get_for_owner(owner: User | AnonymousUser, token_id: Any) -> ApiToken:
    """One of ``owner``'s tokens; another person's token is as unknown as a missing one."""
    try:
        pk = int(token_id)
    except (TypeError, ValueError):
        raise InvalidInput(_("Jeton introuvable."), field="token") from None
    token = api_token_list_for_owner(owner).filter(pk=pk).first()
    if token is None:
        raise InvalidInput(_("Jeton introuvable."), field="token")
    return token


def api_token_authenticate(plain: str) -> ApiToken:
    """The usable token whose plain value is ``plain``, with its owner; ``TokenRefused``
    otherwise (its code tells the caller what to do: get another token, or ask why)."""
    if not plain or len(plain) > PLAIN_MAX_LENGTH or not plain.startswith(TOKEN_PREFIX):
        raise TokenRefused(_("Jeton d'API inconnu."), code="token_invalid")
    token = (ApiToken.objects.select_related("owner", "owner__profile")
             .filter(token_hash=token_hash_of(plain)).first())
    if token is None:
        raise TokenRefused(_("Jeton d'API inconnu."), code="token_invalid")
    if token.is_revoked():
        raise TokenRefused(_("Ce jeton d'API a été révoqué."), code="token_revoked")
    if token.is_expired():
        raise TokenRefused(_("Ce jeton d'API a expiré."), code="token_expired")
    if not token.owner.is_active or _organisation_inactive(token.owner):
        raise TokenRefused(_("Le compte de ce jeton est désactivé."), code="account_inactive")
    return token


def _organisation_inactive(user: User) -> bool:
    """A client whose organisation was deactivated: no more access, by token as by session
    (``requests_app.middleware.InactiveOrganisationMiddleware``)."""
    profile = getattr(user, "profile", None)
    if profile is None or profile.organisation_id is None:
        return False
    return not reference_row(Organisation, profile.organisation_id).is_active
