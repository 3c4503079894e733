"""Two factors: who must have one, whether this session passed it, and the writes that enrol,
verify and renew (django-otp's TOTP and static devices).

The rules:

* everyone who works in the back office (every agent role, sales administration) and every
  staff account (the Django admin) must sign in with a second factor; clients may;
* whoever has a device must give a code after the password, in every mode;
* outside demo mode, a person who must have a second factor and has none is sent to the
  enrolment page before any other page; in demo mode (``DEMO_MODE``) the demo accounts,
  which have no device, stay usable with their password alone;
* a device is replaced only from a session that passed the second factor (or by an
  administrator deleting it in the admin), never by someone who only knows the password.

The TOTP secret being enrolled lives in the session until a code confirms it; only then are
the device and its ten single-use recovery codes written, together.
"""

from __future__ import annotations

import base64
import enum
import re
import unicodedata
from collections.abc import Callable, MutableMapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from portal.errors import SptError
from requests_app import permissions
from requests_app.exceptions import InvalidInput

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django_otp.models import Device

RECOVERY_CODE_COUNT = 10
# How long the cache may answer "has a device" (a bound should a change bypass the signals).
DEVICE_CACHE_SECONDS = 300
PENDING_KEY_SESSION = "spt_two_factor_pending_key"
NEW_CODES_SESSION = "spt_two_factor_new_codes"
DEVICE_NAME = "Application d'authentification"
RECOVERY_DEVICE_NAME = "Codes de secours"
TOTP_CODE = re.compile(r"[0-9]{6}")
RECOVERY_CODE = re.compile(r"[a-z2-7]{8}")


class Step(enum.Enum):
    """What stands between a signed-in person and the portal's pages."""

    NONE = "none"  # nothing: verified, or no second factor asked of them
    VERIFY = "verify"  # a device is enrolled: a code is due
    ENROL = "enrol"  # a second factor is required and none is enrolled (outside demo mode)


class SecondFactorThrottled(SptError):
    """Too many wrong codes in a row: django-otp refuses to check another one until
    ``until``."""

    code = "two_factor_throttled"
    status = 429

    def __init__(self, until: datetime) -> None:
        self.until = until
        seconds = max(1, int((until - timezone.now()).total_seconds()) + 1)
        super().__init__(_("Trop de codes erronés d’affilée. Patientez %(seconds)s secondes "
                           "avant de réessayer.") % {"seconds": seconds})
        self.retry_after = seconds


# --- rules ---------------------------------------------------------------------------------

def second_factor_required(user: User | AnonymousUser) -> bool:
    """The back office (every agent role, sales administration) and the admin (staff)."""
    return permissions.is_back_office(user) or bool(getattr(user, "is_staff", False))


def session_verified(user: User | AnonymousUser) -> bool:
    """This session passed the second factor (django-otp's ``OTPMiddleware`` says so), or was
    opened by the single sign-on provider, whose own second factor is trusted
    (``OIDC_TRUST_IDP_MFA``)."""
    from requests_app.sso import signed_in_by_trusted_provider

    is_verified: Callable[[], bool] | None = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified()) or signed_in_by_trusted_provider(user)


def _device_cache_key(user_id: object) -> str:
    return f"spt-two-factor-has-device:{user_id}"


def has_device(user: User | AnonymousUser) -> bool:
    """Whether ``user`` has a confirmed device, asked on every page: kept in the cache (no
    query per page), forgotten whenever one of their devices is saved or deleted (below)."""
    key = _device_cache_key(user.pk)
    known = cache.get(key)
    if isinstance(known, bool):
        return known
    found = django_otp.user_has_device(user, confirmed=True)
    cache.set(key, found, DEVICE_CACHE_SECONDS)
    return found


@receiver([post_save, post_delete], sender=TOTPDevice)
@receiver([post_save, post_delete], sender=StaticDevice)
def _device_changed(sender: type, instance: TOTPDevice | StaticDevice, **kwargs: Any) -> None:
    """A device added, confirmed or removed (here or in the admin): ask the database again.
    A cache concern, hence a signal (connected when this module is imported, which the
    middleware setting does at start-up)."""
    key = _device_cache_key(instance.user_id)
    cache.delete(key)
    # Again once committed: a page read meanwhile saw the database without this change and
    # may have put the old answer back.
    transaction.on_commit(lambda: cache.delete(key))


def has_authenticator(user: User | AnonymousUser) -> bool:
    """An authenticator application is enrolled (recovery codes alone do not count)."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def recovery_codes_left(user: User | AnonymousUser) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk).count()


def second_factor_step(user: User | AnonymousUser) -> Step:
    if not user.is_authenticated or session_verified(user):
        return Step.NONE
    if has_device(user):
        return Step.VERIFY
    if second_factor_required(user) and not settings.DEMO_MODE:
        return Step.ENROL
    return Step.NONE


def url_with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def step_url(step: Step, next_url: str) -> str:
    """The page that takes the person through ``step``, coming back to ``next_url``."""
    return url_with_next(reverse("two_factor_verify" if step is Step.VERIFY else "two_factor"),
                         next_url)


def second_factor_redirect(request: HttpRequest) -> HttpResponse | None:
    """The redirect to the verification or enrolment page when this request may not go on
    yet; None when it may. Asked once per request (the answer is kept on it)."""
    cached = getattr(request, "_spt_second_factor_step", None)
    step = cached if cached is not None else second_factor_step(request.user)
    request._spt_second_factor_step = step  # type: ignore[attr-defined]
    if step is Step.NONE:
        return None
    next_url = request.get_full_path() if request.method == "GET" else ""
    return HttpResponseRedirect(step_url(step, next_url))


# URL names that stay open while a second factor is due: signing in and out, the language
# switch, the health check, the password reset (for people who are not signed in), and the
# two-factor pages themselves (each checks its own step).
OPEN_URL_NAMES = frozenset({
    "login", "logout", "set_language", "healthz", "password_reset", "password_reset_done",
    "password_reset_confirm", "password_reset_complete", "two_factor", "two_factor_verify",
})


class SecondFactorMiddleware:
    """Every page but ``OPEN_URL_NAMES`` (the admin's included) waits for the second factor.

    After django-otp's ``OTPMiddleware``, which tells whether the session is verified."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_URL_NAMES:
            return None
        if match is not None and match.view_name == "admin:logout":
            return None
        if match is not None and match.namespaces[:1] == ["api"]:
            # The REST API answers for itself, in its own format: a session still owing its
            # second factor gets a 401 there (api.authentication), its documentation page the
            # same redirect as here; a token needs none (created behind the second factor).
            return None
        return second_factor_redirect(request)


# --- enrolment -----------------------------------------------------------------------------

def pending_key(session: MutableMapping[str, Any]) -> str:
    """The hex TOTP secret being enrolled in this session (a new one the first time)."""
    key = session.get(PENDING_KEY_SESSION)
    if not isinstance(key, str):
        key = random_hex(20)
        session[PENDING_KEY_SESSION] = key
    return key


def pending_device(*, user: User, key: str) -> TOTPDevice:
    """An unsaved device around ``key``: what the QR code and the secret describe."""
    return TOTPDevice(user=user, key=key, name=DEVICE_NAME, confirmed=False)


def base32_secret(device: TOTPDevice) -> str:
    """The secret as an authenticator application asks for it, by groups of four."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` URL as an inline SVG QR code, drawn here: no image from elsewhere,
    no style attribute (the CSP allows none)."""
    code = segno.make(device.config_url, error="m")
    return code.svg_inline(scale=5, dark="#000", light="#fff", svgclass="spt-qr d-block mx-auto",
                           lineclass=None, title=_("QR code à scanner"))


def _totp_step_matched(key: str, code: str) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), None if none."""
    totp = TOTP(bytes.fromhex(key), step=30, t0=0, digits=6, drift=0)
    if not totp.verify(int(code), tolerance=1):
        return None
    return totp.t()


def _new_recovery_codes(user: User) -> list[str]:
    # The same device with new tokens: a session that a recovery code verified stays so.
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticToken.objects.filter(device=device).delete()
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_enrol(*, user: User, key: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator that shows ``code`` for ``key``: it replaces any earlier
    one, with ten new recovery codes (returned, to be shown once)."""
    matched = _totp_step_matched(key, code)
    if matched is None:
        raise InvalidInput(_("Ce code ne correspond pas. Vérifiez l’heure de votre téléphone "
                             "et saisissez le code affiché maintenant."), field="code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        # last_t: the code just typed cannot be used again to sign in.
        device = TOTPDevice.objects.create(user=user, key=key, name=DEVICE_NAME,
                                           confirmed=True, last_t=matched)
        codes = _new_recovery_codes(user)
    return device, codes


def recovery_codes_renew(*, user: User) -> list[str]:
    """Ten new recovery codes; the previous ones stop working."""
    if not has_authenticator(user):
        raise InvalidInput(_("Configurez d’abord une application d’authentification."))
    with transaction.atomic():
        return _new_recovery_codes(user)


def two_factor_disable(*, user: User) -> None:
    """Remove a client's second factor (those who must have one cannot)."""
    if second_factor_required(user):
        raise InvalidInput(_("La double authentification est obligatoire pour votre compte."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


# --- verification --------------------------------------------------------------------------

def code_normalise(value: str) -> str:
    """A code as typed (spaces, dashes, full-width digits, capitals) in its plain form."""
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value)).lower()


def is_code_shaped(code: str) -> bool:
    return bool(TOTP_CODE.fullmatch(code) or RECOVERY_CODE.fullmatch(code))


def two_factor_verify(*, user: User, code: str) -> Device:
    """The device that accepts ``code`` (six digits: the authenticator; otherwise a recovery
    code, used up). Wrong codes are throttled by django-otp (1, 2, 4, 8 … seconds)."""
    model: type[TOTPDevice] | type[StaticDevice] = (
        TOTPDevice if TOTP_CODE.fullmatch(code) else StaticDevice
    )
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            raise InvalidInput(_("Code incorrect."), field="code")
        allowed, details = device.verify_is_allowed()
        if not allowed:
            raise SecondFactorThrottled((details or {}).get("locked_until", timezone.now()))
        verified = device.verify_token(code)
    if not verified:
        raise InvalidInput(_("Code incorrect. Saisissez le code affiché maintenant par votre "
                             "application, ou un code de secours non utilisé."), field="code")
    return device


def session_mark_verified(request: HttpRequest, device: Device) -> None:
    """This session passed the second factor with ``device`` (a new session key, as at any
    change of privilege)."""
    request.session.cycle_key()
    django_otp.login(request, device)
