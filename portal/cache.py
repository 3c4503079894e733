"""The shared cache, made optional: a Redis cache that degrades instead of failing.

Nothing the portal keeps in the cache is needed to serve a page: the reference copy's
version stamp (``requests_app.selectors.reference``) and the flood counters. So when Redis is
unreachable (stopped, frozen, network gone) every call answers as a cache miss would — ``get``
gives the default, ``add``/``set`` store nothing, ``incr`` finds no key — with one log line,
instead of a 500 for the person who happened to trigger it.

A frozen Redis costs each call its socket timeout (the ``OPTIONS`` of ``CACHES``). To keep a
page that makes several calls from paying it several times, the first failure makes this
process skip Redis altogether for ``RETRY_AFTER`` seconds (per server, shared by the threads),
after which the next call tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What an unreachable server raises; anything else (a wrong type, a bug) is not an outage and
# still raises.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER = 5.0  # seconds without trying Redis after a failure

# Server location → monotonic time before which it is not tried again.
_down_until: dict[str, float] = {}
_lock = threading.Lock()


class DegradingRedisCache(RedisCache):
    """Django's Redis cache, answering as a miss while the server is unreachable."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)

    def _degrade(self, call: Callable[[], T], fallback: T, operation: str) -> T:
        if time.monotonic() < _down_until.get(self._location, 0.0):
            return fallback
        try:
            return call()
        except UNREACHABLE as exc:
            with _lock:
                first = time.monotonic() >= _down_until.get(self._location, 0.0)
                _down_until[self._location] = time.monotonic() + RETRY_AFTER
            if first:
                logger.warning(
                    "Cache unavailable (%s on %s: %s): serving without it, next try in %.0f s",
                    exc.__class__.__name__, operation, exc, RETRY_AFTER,
                )
            # The pool may hold sockets to a frozen server: the next try opens new ones.
            self._forget_connections()
            return fallback

    def _forget_connections(self) -> None:
        try:
            for pool in self._cache._pools.values():  # type: ignore[attr-defined]
                pool.disconnect()
        except Exception:  # noqa: BLE001 - best effort on a server already unreachable
            logger.debug("Could not drop the cache's connections", exc_info=True)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT,
            version: int | None = None) -> bool:
        return self._degrade(lambda: super(DegradingRedisCache, self).add(
            key, value, timeout, version), False, "add")

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._degrade(lambda: super(DegradingRedisCache, self).get(
            key, default, version), default, "get")

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT,
            version: int | None = None) -> None:
        self._degrade(lambda: super(DegradingRedisCache, self).set(
            key, value, timeout, version), None, "set")

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT,
              version: int | None = None) -> bool:
        return self._degrade(lambda: super(DegradingRedisCache, self).touch(
            key, timeout, version), False, "touch")

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._degrade(lambda: super(DegradingRedisCache, self).delete(
            key, version), False, "delete")

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._degrade(lambda: super(DegradingRedisCache, self).get_many(
            keys, version), {}, "get_many")

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._degrade(lambda: super(DegradingRedisCache, self).has_key(
            key, version), False, "has_key")

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # A missing key is what Django's contract says incr raises ValueError for: callers
        # (django-ratelimit among them) already handle it.
        value: int | None = self._degrade(lambda: super(DegradingRedisCache, self).incr(
            key, delta, version), None, "incr")
        if value is None:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return value

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT,
                 version: int | None = None) -> list[Any]:
        return self._degrade(lambda: super(DegradingRedisCache, self).set_many(
            data, timeout, version), list(data), "set_many")

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._degrade(lambda: super(DegradingRedisCache, self).delete_many(
            keys, version), None, "delete_many")

    def clear(self) -> None:
        self._degrade(lambda: super(DegradingRedisCache, self).clear(), None, "clear")
