"""Which endpoints want an event, from each process's copy of the active endpoints.

Why a copy: every change to a request writes an event, and almost every installation has no
endpoint at all, or a handful that seldom change. Asking the database at each event would add
a query to every action of every user; the copy costs one look at a stamp in the shared cache
(Redis in production, no SQL), and the database is read again only when the stamp changed.

Freshness: a save or deletion of an endpoint (signals, ``apps.py``) makes this process forget
its copy and renews the stamp, now and again after commit, so that no process keeps what it
read in between. While the thread that made a change has not committed it, what it reads is
not kept (a rollback would leave it wrong; no other connection sees the change meanwhile).
While the shared cache is unavailable, each event reads the endpoints again (one small
query): an endpoint is never missed for want of a cache.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

from webhooks.kinds import ALL_KINDS
from webhooks.models import WebhookEndpoint

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscriber:
    """An active endpoint, as the copy holds it."""

    pk: int
    kinds: frozenset[str]
    include_internal: bool

    def wants(self, *, kind: str, is_internal: bool) -> bool:
        if is_internal and not self.include_internal:
            return False
        return ALL_KINDS in self.kinds or kind in self.kinds


def _load() -> tuple[Subscriber, ...]:
    rows = (WebhookEndpoint.objects.filter(is_active=True).order_by("pk")
            .values_list("pk", "event_kinds", "include_internal"))
    return tuple(Subscriber(pk=pk, kinds=frozenset(kinds or ()), include_internal=internal)
                 for pk, kinds, internal in rows if kinds)


class EndpointCopy:
    key = "spt:webhook-endpoints-version"

    # A change this thread made and has not committed (nor, as far as we know, rolled back)
    # for this long at most: past it, its transaction has surely ended.
    uncommitted_max_seconds = 300.0

    def __init__(self) -> None:
        self._held: tuple[tuple[Subscriber, ...], str] | None = None
        # Per thread: only the connection that made a change reads it before its commit.
        self._local = threading.local()
        self._lock = threading.Lock()

    def _uncommitted(self) -> bool:
        since = getattr(self._local, "changed_at", None)
        return since is not None and time.monotonic() - since < self.uncommitted_max_seconds

    def _stamp(self) -> str | None:
        try:
            stamp = cache.get(self.key)
            if stamp is None:
                cache.add(self.key, uuid.uuid4().hex, None)
                stamp = cache.get(self.key)
        except Exception:  # noqa: BLE001 - a cache failure must not fail the user's action
            logger.warning("Stamp %s unreadable: shared cache unavailable", self.key,
                           exc_info=True)
            return None
        return stamp

    def current(self) -> tuple[Subscriber, ...]:
        stamp = self._stamp()
        held = self._held
        if held is not None and stamp is not None and held[1] == stamp:
            return held[0]
        with self._lock:
            subscribers = _load()
            if stamp is not None and not self._uncommitted():
                self._held = (subscribers, stamp)
            return subscribers

    def _stamp_renew(self) -> None:
        try:
            cache.set(self.key, uuid.uuid4().hex, None)
        except Exception:  # noqa: BLE001 - the change is saved; see the module's docstring
            logger.warning("Stamp %s not renewed: shared cache unavailable", self.key,
                           exc_info=True)

    def _committed(self) -> None:
        self._local.changed_at = None
        self._stamp_renew()

    def changed(self, **_signal_kwargs: Any) -> None:
        """The endpoints changed (a signal receiver): forgotten here, announced to the other
        processes now and after commit."""
        self._held = None
        self._stamp_renew()
        if connection.in_atomic_block:
            self._local.changed_at = time.monotonic()
            transaction.on_commit(self._committed)

    def forget(self) -> None:
        """This process's copy dropped (the tests, between two: a rolled-back test's rows)."""
        self._held, self._local.changed_at = None, None


ENDPOINTS = EndpointCopy()


def subscribers_for(*, kind: str, is_internal: bool) -> list[Subscriber]:
    """The active endpoints that want an event of ``kind`` (an internal one only those that
    take internal events)."""
    return [subscriber for subscriber in ENDPOINTS.current()
            if subscriber.wants(kind=kind, is_internal=is_internal)]
