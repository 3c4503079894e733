"""Single sign-on with an OpenID Connect provider (mozilla-django-oidc), beside the local
sign-in form, which always stays.

* ``SsoStartView`` (``/oidc/authenticate/``) sends the browser to the provider (a GET
  redirect: the CSP's ``form-action 'self'`` does not apply, which is why the login page's
  button is a link and not a form); ``SsoCallbackView`` (``/oidc/callback/``) takes the
  provider's answer back, and on any refusal returns to the login page with the reason;
* ``SsoBackend`` checks the id_token (signature by a key of the provider's JWKS, algorithm,
  audience, issuer, expiry, nonce), reads the user info, and hands the person to
  ``services.sso.sso_person_sign_in``, which decides who may come in with which roles;
* the endpoints come from the settings, or from the provider's discovery document, read at
  the first sign-in and kept for an hour: a provider that is down costs its button a message,
  never the start-up or the local sign-in;
* a session opened here counts as having passed the second factor when the provider enforces
  its own (``OIDC_TRUST_IDP_MFA``, on by default; ``two_factor.session_verified``);
* signing out is the portal's own sign-out: the provider's session stays (signing in again
  goes straight through), as with any application of the same provider.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from portal.errors import SptError
from requests_app.services.sso import SsoIdentity, SsoPolicy, SsoRefused, sso_person_sign_in

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger(__name__)

BACKEND_PATH = "requests_app.sso.SsoBackend"
DISCOVERY_CACHE_SECONDS = 3600
# Set on the user objects this backend restores from a session (see ``SsoBackend.get_user``).
SIGNED_IN_BY_SSO = "_spt_signed_in_by_sso"
# Where the backend leaves the reason of a refusal for the callback's message.
REFUSAL = "_spt_sso_refusal"


class ProviderUnavailable(SptError):
    code = "sso_provider_unavailable"
    status = 503


def sso_enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False)
                and BACKEND_PATH in settings.AUTHENTICATION_BACKENDS)


def sign_in_button(next_url: str = "") -> dict[str, str] | None:
    """The login page's "Se connecter avec …" link, None when single sign-on is off."""
    if not sso_enabled():
        return None
    url = reverse("oidc_authentication_init")
    if next_url:
        url = f"{url}?{urlencode({'next': next_url})}"
    return {"url": url, "label": settings.OIDC_LABEL
            or _("Se connecter avec le compte de l’entreprise")}


def signed_in_by_trusted_provider(user: User | AnonymousUser) -> bool:
    """This session was opened by the provider, whose second factor stands for ours."""
    return bool(settings.OIDC_TRUST_IDP_MFA and getattr(user, SIGNED_IN_BY_SSO, False))


def exempt_from_lockout(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """``AXES_WHITELIST_CALLABLE``: the provider's callback carries no username nor password;
    the password lockout neither refuses it nor counts its refusals (which would otherwise
    pile up under one empty username and lock every single sign-in out)."""
    match = getattr(request, "resolver_match", None)
    return bool(match is not None and match.url_name == "oidc_authentication_callback"
                and not (credentials or {}).get("password"))


# --- the provider's endpoints ---------------------------------------------------------------

@dataclass(frozen=True)
class ProviderEndpoints:
    authorization: str
    token: str
    userinfo: str
    jwks: str
    issuer: str


_discovery_lock = threading.Lock()
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


def _discovery(url: str) -> dict[str, Any]:
    with _discovery_lock:
        known = _discovered.get(url)
        if known is not None and time.monotonic() - known[0] < DISCOVERY_CACHE_SECONDS:
            return known[1]
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT,
                                verify=getattr(settings, "OIDC_VERIFY_SSL", True))
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("OpenID provider discovery at %s failed: %s", url, exc)
        raise ProviderUnavailable(_("Le fournisseur d’identité ne répond pas. Réessayez plus "
                                    "tard ou connectez-vous avec votre identifiant et votre "
                                    "mot de passe.")) from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(_("Le fournisseur d’identité a donné une configuration "
                                    "illisible."))
    with _discovery_lock:
        _discovered[url] = (time.monotonic(), document)
    return document


def discovery_forget() -> None:
    """Read the discovery document again at the next sign-in."""
    with _discovery_lock:
        _discovered.clear()


def provider_endpoints() -> ProviderEndpoints:
    """The explicit endpoints of the settings, the rest from the discovery document."""
    explicit = {
        "authorization": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token": settings.OIDC_OP_TOKEN_ENDPOINT,
        "userinfo": settings.OIDC_OP_USER_ENDPOINT,
        "jwks": settings.OIDC_OP_JWKS_ENDPOINT,
        "issuer": settings.OIDC_OP_ISSUER,
    }
    discovery_keys = {"authorization": "authorization_endpoint", "token": "token_endpoint",
                      "userinfo": "userinfo_endpoint", "jwks": "jwks_uri", "issuer": "issuer"}
    if settings.OIDC_OP_DISCOVERY_URL and not all(explicit.values()):
        document = _discovery(settings.OIDC_OP_DISCOVERY_URL)
        for name, key in discovery_keys.items():
            value = document.get(key)
            if not explicit[name] and isinstance(value, str):
                explicit[name] = value
    missing = [name for name, value in explicit.items() if not value and name != "issuer"]
    if missing:
        logger.error("OpenID provider: no %s endpoint known", ", ".join(missing))
        raise ProviderUnavailable(_("La connexion par le fournisseur d’identité est mal "
                                    "configurée. Connectez-vous avec votre identifiant et "
                                    "votre mot de passe."))
    return ProviderEndpoints(**explicit)


# --- the claims -----------------------------------------------------------------------------

def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def identity_from_claims(claims: dict[str, Any]) -> SsoIdentity:
    """The person as the provider describes them. ``email_verified`` absent counts as
    verified (Entra ID does not send it; its addresses are the tenant's); false does not."""
    groups = claims.get(settings.OIDC_GROUPS_CLAIM)
    if isinstance(groups, str):
        groups = [groups]
    first_name, last_name = _text(claims.get("given_name")), _text(claims.get("family_name"))
    if not (first_name or last_name) and _text(claims.get("name")):
        first_name, _space, last_name = _text(claims.get("name")).partition(" ")
    return SsoIdentity(
        subject=_text(claims.get("sub")),
        email=_text(claims.get("email")),
        email_verified=claims.get("email_verified", True) not in (False, "false"),
        first_name=first_name,
        last_name=last_name.strip(),
        groups=frozenset(g for g in groups if isinstance(g, str)) if isinstance(groups, list)
        else frozenset(),
        organisation=_text(claims.get(settings.OIDC_ORGANISATION_CLAIM)),
    )


def _refuse(request: HttpRequest, message: str) -> None:
    vars(request)[REFUSAL] = message


# --- backend and views ----------------------------------------------------------------------

class SsoBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, configured at the sign-in rather than when built (Django
    builds every backend for every ``authenticate``, password sign-ins included: nothing here
    may fail then), with the id_token's audience and issuer checked too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = auth.get_user_model()
        self.issuer = ""

    def _configure(self, endpoints: ProviderEndpoints) -> None:
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints.token
        self.OIDC_OP_USER_ENDPOINT = endpoints.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = endpoints.jwks
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.issuer = endpoints.issuer

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        # Only the callback's call (it passes the nonce), never a password sign-in's.
        if request is None or "nonce" not in kwargs or {"username", "password"} & set(kwargs):
            return None
        try:
            self._configure(provider_endpoints())
            user: User | None = super().authenticate(request, **kwargs)
        except ProviderUnavailable as exc:
            _refuse(request, exc.message)
            return None
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
            logger.warning("OpenID sign-in refused: %s", exc)
            _refuse(request, _("La réponse du fournisseur d’identité n’a pas pu être vérifiée. "
                               "Réessayez ; si cela persiste, prévenez votre administrateur."))
            return None
        except requests.RequestException as exc:
            logger.warning("OpenID provider unreachable during sign-in: %s", exc)
            _refuse(request, _("Le fournisseur d’identité ne répond pas. Réessayez plus tard "
                               "ou connectez-vous avec votre identifiant et votre mot de "
                               "passe."))
            return None
        return user

    def _verify_jws(self, payload: bytes | str, key: Any) -> dict[str, Any]:
        """The library checks the signature and the expiry; the audience and the issuer too,
        and every claim that says so must be there."""
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("id_token algorithm differs from OIDC_RP_SIGN_ALGO")
        required = ["exp", "iat", "aud", "sub"] + (["iss"] if self.issuer else [])
        try:
            claims: dict[str, Any] = jwt.decode(
                payload, key, algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID, issuer=self.issuer or None,
                options={"require": required}, leeway=60,
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"id_token refused: {exc}") from exc
        return claims

    def get_or_create_user(self, access_token: str, id_token: str,
                           payload: dict[str, Any]) -> User | None:
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            # OpenID Connect Core 5.3.2: the user info of another person is not theirs.
            raise SuspiciousOperation("user info subject differs from the id_token's")
        identity = identity_from_claims({**payload, **userinfo})
        try:
            return sso_person_sign_in(identity=identity, policy=SsoPolicy.from_settings())
        except SsoRefused as exc:
            logger.info("OpenID sign-in of %s refused: %s", identity.email or identity.subject,
                        exc.code)
            _refuse(self.request, exc.message)
            return None

    def get_user(self, user_id: int) -> User | None:
        # Django's rule (inactive accounts are signed out), not the library's.
        user: User | None = ModelBackend.get_user(self, user_id)
        if user is not None:
            setattr(user, SIGNED_IN_BY_SSO, True)
        return user


class SsoStartView(OIDCAuthenticationRequestView):
    """``/oidc/authenticate/``: off (404) unless single sign-on is configured."""

    def __init__(self, **kwargs: Any) -> None:
        # The library reads its endpoint here; ours may need the discovery document.
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404(_("La connexion unique n’est pas configurée."))
        try:
            endpoints = provider_endpoints()
        except ProviderUnavailable as exc:
            messages.error(request, exc.message)
            return redirect("login")
        self.OIDC_OP_AUTH_ENDPOINT = endpoints.authorization
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        response: HttpResponse = super().get(request)
        return response


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """``/oidc/callback/``: signed in and on to the page asked for, or back to the login page
    with the reason."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404(_("La connexion unique n’est pas configurée."))
        expired = _("Cette connexion a expiré ou a déjà servi. Recommencez.")
        states = request.session.get("oidc_states")
        if ("code" in request.GET and "state" in request.GET
                and request.GET["state"] not in (states if isinstance(states, dict) else {})):
            # A state this browser did not start: an old tab, a replay, another browser.
            _refuse(request, expired)
            return self.login_failure()
        try:
            response: HttpResponse = super().get(request)
        except SuspiciousOperation as exc:
            logger.warning("OpenID callback refused: %s", exc)
            _refuse(request, expired)
            return self.login_failure()
        return response

    def login_failure(self) -> HttpResponse:
        if self.request.GET.get("error"):
            message = _("Le fournisseur d’identité n’a pas confirmé votre identité (connexion "
                        "annulée ou refusée).")
        else:
            message = vars(self.request).get(REFUSAL) or _(
                "La connexion par le fournisseur d’identité a échoué. Recommencez.")
        messages.error(self.request, message)
        return redirect("login")

    def login_success(self) -> HttpResponse:
        # Always a new sign-in (the library skips it for the same person, which would keep a
        # password session, and its second factor still due, under this sign-in).
        auth.login(self.request, self.user)
        return HttpResponseRedirect(self.success_url)
