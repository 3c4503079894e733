"""Rate limits of the API, per person (every token of one person and their session share
one allowance: creating more tokens buys no more calls), reads and writes counted apart;
anonymous calls (the schema) per client address, stricter. The rates are settings
(``API_READ_RATE``, ``API_WRITE_RATE``, ``API_ANON_RATE`` in the environment); the counts
live in the default cache, Redis when ``REDIS_URL`` is set, so every web process shares
them. Past a rate: 429 ``rate_limited`` with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from requests_app.login_protection import client_ip_for_rate_limits


class _RateFromSettings(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # Read at each call rather than when the class was defined: a changed setting (the
        # tests' override_settings) applies at once.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class _PersonThrottle(_RateFromSettings):
    safe_methods: bool

    def allow_request(self, request: Request, view: Any) -> bool:
        if (request.method in SAFE_METHODS) is not self.safe_methods:
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if not user or not user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"user-{user.pk}"}


class ApiReadThrottle(_PersonThrottle):
    scope = "api_read"
    safe_methods = True


class ApiWriteThrottle(_PersonThrottle):
    scope = "api_write"
    safe_methods = False


class ApiAnonymousThrottle(_RateFromSettings):
    scope = "api_anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        ident = client_ip_for_rate_limits(request._request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
