"""A copy, in each process's memory, of a few rows every page reads and that seldom change
(the reference data, the back-office people), kept fresh through a stamp in the shared cache.

Freshness. A change made through the models calls ``changed()`` (a signal): this process
forgets its copy at once and renews the copy's stamp in the shared cache (Redis in
production, files in the embedded default), after commit too; each process compares its
copy's stamp with the shared one at most every ``check_every`` seconds. A row written behind
the models' back (``QuerySet.update``, raw SQL, a bulk load) is seen when the stamp next
changes, or after ``max_age`` at the latest: such writers call ``changed()``. While the
shared cache is unavailable the pages are served all the same, each copy read again after
``unstamped_max_age``.

What a copy holds is shared by every request the process serves: read it, never change it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.db import connection, transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")


class _Held(Generic[T]):
    __slots__ = ("checked_at", "content", "loaded_at", "stamp")

    def __init__(self, content: T, stamp: Any, now: float) -> None:
        self.content, self.stamp, self.loaded_at, self.checked_at = content, stamp, now, now


class ProcessCopy(Generic[T]):
    """What ``load()`` returns, held by this process and read again when its stamp (the
    shared cache's ``key``) changes."""

    def __init__(self, key: str, load: Callable[[], T], *, check_every: float = 1.0,
                 max_age: float = 300.0, unstamped_max_age: float = 10.0) -> None:
        self.key, self.load = key, load
        self.check_every = check_every  # seconds between two looks at the shared stamp
        self.max_age = max_age  # a copy older than this is read again whatever the stamp
        # While the shared cache is unavailable (no stamp to compare), a copy is kept this
        # long only: the other processes cannot announce their changes meanwhile.
        self.unstamped_max_age = unstamped_max_age
        self._held: _Held[T] | None = None
        # A change made inside a transaction not yet committed: were it rolled back, what
        # was read meanwhile would be wrong, so the next read outside a transaction starts
        # afresh.
        self._uncommitted = False
        self._lock = threading.Lock()

    def _shared_stamp(self) -> Any:
        """The shared stamp; None when the cache cannot give one (unavailable: the pages
        are served all the same, from copies kept a shorter while)."""
        try:
            stamp = cache.get(self.key)
            if stamp is None:
                cache.add(self.key, uuid.uuid4().hex, None)
                stamp = cache.get(self.key)
        except Exception:  # noqa: BLE001 - a cache failure must not fail the page
            logger.warning("Stamp %s unreadable: shared cache unavailable", self.key,
                           exc_info=True)
            return None
        return stamp

    def current(self, *, force: bool = False) -> T:
        """The copy, read again first when ``force``d, stale or announced changed."""
        now = time.monotonic()
        if self._uncommitted and not connection.in_atomic_block:
            self._uncommitted, force = False, True
        held = self._held
        if held is not None and not force and now - held.checked_at < self.check_every:
            return held.content
        with self._lock:
            stamp = self._shared_stamp()
            held = self._held
            max_age = self.max_age if stamp is not None else self.unstamped_max_age
            if (force or held is None or held.stamp != stamp
                    or now - held.loaded_at > max_age):
                held = _Held(self.load(), stamp, now)
            else:
                held.checked_at = now
            self._held = held
            return held.content

    def _stamp_renew(self) -> None:
        try:
            cache.set(self.key, uuid.uuid4().hex, None)
        except Exception:  # noqa: BLE001 - the change is saved; the others see it by max_age
            logger.warning("Stamp %s not renewed: shared cache unavailable", self.key,
                           exc_info=True)

    def _committed(self) -> None:
        self._uncommitted = False
        self._stamp_renew()

    def changed(self, **_signal_kwargs: Any) -> None:
        """What the copy holds changed: this process forgets it, the others see a new stamp
        (now, and again once the change is committed, so that none keeps what it read in
        between). Its signature is a signal receiver's."""
        self._held = None
        self._stamp_renew()
        if connection.in_atomic_block:
            self._uncommitted = True
            transaction.on_commit(self._committed)

    def forget(self) -> None:
        """This process's copy dropped (the tests, between two: a rolled-back test's rows)."""
        self._held, self._uncommitted = None, False
