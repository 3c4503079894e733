"""Login protection: what django-axes counts and how it answers a locked-out sign-in.

One policy for every sign-in (the portal's and the admin's, which is sent to the same form):

* failures are counted per *normalised* username, so that " rd", "rd ", tab + "rd", the
  full-width "ｒｄ" and "RD" all count against the one account "rd";
* and per client address, from a header the environment names only when a proxy we trust
  sets it (``CLIENT_IP_HEADER``, ``TRUSTED_PROXY_COUNT``);
* a successful sign-in is never counted and never resets anything: 30 people behind one
  proxy signing in within a minute lock nobody out;
* past the limit the login page answers 429 with a clear message until the cool-off
  (``LOGIN_COOLOFF_MINUTES``) has passed since the last counted failure.

Attempts live in the database (axes' own ``AccessAttempt`` rows, which the admin lists and
deletes to unlock someone), never in Redis: signing in does not depend on it being up.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

USERNAME_FIELD = "username"


# The length of axes' username column (AccessAttempt, AccessLog, AccessFailureLog).
USERNAME_STORED_LENGTH = 255


def username_normalise(value: str | None) -> str:
    """The form the counter knows a username by: NFKC, stripped, case-folded.

    Django's login form already applies NFKC and strips; case folding is ours, so that "RD"
    (which does not sign in, usernames being case-sensitive) still counts against "rd"."""
    if not value:
        return ""
    # Cut to what axes stores (its username column): no username is that long, and a longer
    # guess must be counted, not refused by the database.
    return unicodedata.normalize("NFKC", value).strip().casefold()[:USERNAME_STORED_LENGTH]


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """``AXES_USERNAME_CALLABLE``: the normalised username of this sign-in attempt, from the
    credentials handed to ``authenticate`` or, before them, from the posted form."""
    raw = (credentials or {}).get(USERNAME_FIELD)
    if raw is None:
        raw = request.POST.get(USERNAME_FIELD)
    return username_normalise(raw if isinstance(raw, str) else None)


def client_ip_address(request: HttpRequest) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the address of the person signing in.

    ``REMOTE_ADDR`` unless ``CLIENT_IP_HEADER`` names the header our reverse proxy sets (for
    example ``X-Forwarded-For``). Each of the ``TRUSTED_PROXY_COUNT`` proxies in front of the
    portal appends the address it received from: the client's is therefore the
    ``TRUSTED_PROXY_COUNT``-th from the right; whatever stands left of it came from the
    client and may be forged. A header that is missing, too short or not an address falls
    back to ``REMOTE_ADDR``."""
    remote = request.META.get("REMOTE_ADDR") or None
    header = settings.CLIENT_IP_HEADER
    if not header:
        return remote
    entries = [part.strip() for part in request.META.get(header, "").split(",") if part.strip()]
    count = settings.TRUSTED_PROXY_COUNT
    if count < 1 or len(entries) < count:
        return remote
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class LoginFailureHandler(AxesDatabaseHandler):
    """axes' database handler, with a limit per username and another per client address.

    One address may legitimately carry a whole office (a proxy): its limit
    (``LOGIN_ADDRESS_FAILURE_LIMIT``) is higher than an account's (``LOGIN_FAILURE_LIMIT``).
    axes compares one number with one limit: the address's failures are given on the
    username's scale, so that the comparison means "either limit reached"."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        by_username, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        # floor(a * u / A) >= u  exactly when  a >= A.
        scaled = by_address * settings.LOGIN_FAILURE_LIMIT // settings.LOGIN_ADDRESS_FAILURE_LIMIT
        return max(by_username, scaled)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the login page itself, with the lockout message, answering
    429 (nothing signed in, nothing else recorded)."""
    form = AuthenticationForm(request, initial={USERNAME_FIELD: request.POST.get(USERNAME_FIELD)})
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    response = render(request, "registration/login.html", {
        "form": form, "locked_out": True, "next": next_url,
        "cooloff_minutes": settings.LOGIN_COOLOFF_MINUTES,
    }, status=429)
    response["Retry-After"] = str(settings.LOGIN_COOLOFF_MINUTES * 60)
    return response


def client_ip_for_rate_limits(request: HttpRequest) -> str:
    """``RATELIMIT_IP_META_KEY``: the same client address for django-ratelimit's ``ip`` key
    (the password reset's limit per client), never empty (a Unix socket has no address)."""
    return client_ip_address(request) or "0.0.0.0"
