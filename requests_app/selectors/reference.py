"""Reference data in each process's memory: request types (with their categories),
priorities, ERP modules and organisations, by primary key.

Why: a request page joined these four tables to the request, and PostgreSQL spent ten times
longer planning that query than running it (1.8 ms of planning against 0.15 ms without the
joins); a queue page built 150 of these objects for its 50 rows. They are a few hundred rows
that change a few times a year, read on every page.

Freshness. Every save or deletion of one of these rows (the admin, a shell, a data
migration through the models) forgets this process's copy at once and renews a version
stamp in the shared cache (Redis in production, files in the embedded default), after
commit too; each process compares its copy's stamp with the shared one at most once a
second. A row written behind the models' back (``QuerySet.update``, raw SQL, a bulk load)
is seen when the stamp next changes, or after ``MAX_AGE`` at the latest: such writers call
``reference_changed()``. While the shared cache is unavailable the pages are served all the
same, each copy read again after ``UNSTAMPED_MAX_AGE``.

The objects are shared by every request the process serves: read them, never change them.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from requests_app.models import Category, ErpModule, Organisation, Priority, Request, RequestType

logger = logging.getLogger(__name__)

VERSION_KEY = "spt:reference-version"
CHECK_EVERY = 1.0  # seconds between two looks at the shared stamp
MAX_AGE = 300.0  # seconds: a copy older than this is read again whatever the stamp says
# While the shared cache is unavailable (no stamp to compare), a copy is kept this long only:
# the other processes cannot announce their changes meanwhile.
UNSTAMPED_MAX_AGE = 10.0

# The request's foreign keys served from here, and the model each points to.
REQUEST_FIELDS: dict[str, type[Model]] = {
    "request_type": RequestType, "priority": Priority, "module": ErpModule,
    "organisation": Organisation,
}
_MODELS: tuple[type[Model], ...] = (RequestType, Priority, ErpModule, Organisation)


@dataclass
class _Copy:
    stamp: Any
    loaded_at: float
    checked_at: float
    rows: dict[type[Model], dict[int, Model]]


_copy: _Copy | None = None
# A change made inside a transaction not yet committed: were it rolled back, what was read
# meanwhile would be wrong, so the next read outside a transaction starts afresh.
_uncommitted = False
_lock = threading.Lock()


def _shared_stamp() -> Any:
    """The shared stamp; None when the cache cannot give one (unavailable: the pages are
    served all the same, from copies kept a shorter while)."""
    try:
        stamp = cache.get(VERSION_KEY)
        if stamp is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, None)
            stamp = cache.get(VERSION_KEY)
    except Exception:  # noqa: BLE001 - a cache failure must not fail the page
        logger.warning("Reference stamp unreadable: shared cache unavailable", exc_info=True)
        return None
    return stamp


def _load(stamp: Any, now: float) -> _Copy:
    rows: dict[type[Model], dict[int, Model]] = {
        RequestType: {t.pk: t for t in RequestType.objects.select_related("category")},
    }
    for model in _MODELS[1:]:
        rows[model] = {row.pk: row for row in model._default_manager.all()}
    return _Copy(stamp=stamp, loaded_at=now, checked_at=now, rows=rows)


def _current(*, force: bool = False) -> _Copy:
    global _copy, _uncommitted
    now = time.monotonic()
    if _uncommitted and not connection.in_atomic_block:
        _uncommitted, force = False, True
    copy = _copy
    if copy is not None and not force and now - copy.checked_at < CHECK_EVERY:
        return copy
    with _lock:
        stamp = _shared_stamp()
        copy = _copy
        max_age = MAX_AGE if stamp is not None else UNSTAMPED_MAX_AGE
        if (force or copy is None or copy.stamp != stamp
                or now - copy.loaded_at > max_age):
            copy = _load(stamp, now)
        else:
            copy.checked_at = now
        _copy = copy
        return copy


def reference_row(model: type[Model], pk: int | None) -> Any:
    """The row ``pk`` of ``model`` (one of the reference models), None for None; read again
    from the database once when it is not in the copy (created a moment ago elsewhere)."""
    if pk is None:
        return None
    found = _current().rows[model].get(pk)
    if found is None:
        found = _current(force=True).rows[model].get(pk)
    if found is None:  # not committed yet when the copy was read again: read it alone
        found = model._default_manager.get(pk=pk)
    return found


def reference_rows(model: type[Model]) -> list[Any]:
    """Every row of ``model`` in its ``Meta.ordering`` (a select's options), from the copy."""
    rows = list(_current().rows[model].values())
    for name in reversed([str(name) for name in model._meta.ordering or ["pk"]]):
        rows.sort(key=attrgetter(name.lstrip("-")), reverse=name.startswith("-"))
    return rows


def reference_attach(requests: Iterable[Request],
                     fields: Iterable[str] = tuple(REQUEST_FIELDS)) -> None:
    """Give each request its type (with its category), priority, module and organisation
    from the copy, as ``select_related`` would have: no query, no join."""
    for request in requests:
        for name in fields:
            setattr(request, name,
                    reference_row(REQUEST_FIELDS[name], getattr(request, f"{name}_id")))


def _stamp_renew() -> None:
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:  # noqa: BLE001 - the change is saved; the others see it by MAX_AGE
        logger.warning("Reference stamp not renewed: shared cache unavailable", exc_info=True)


def _committed() -> None:
    global _uncommitted
    _uncommitted = False
    _stamp_renew()


def reference_changed(**_kwargs: Any) -> None:
    """A reference row changed: this process forgets its copy, the others see a new stamp
    (now, and again once the change is committed, so that none keeps what it read in
    between)."""
    global _copy, _uncommitted
    _copy = None
    _stamp_renew()
    if connection.in_atomic_block:
        _uncommitted = True
        transaction.on_commit(_committed)


def reference_forget() -> None:
    """This process's copy dropped (the tests, between two: a rolled-back test's rows)."""
    global _copy, _uncommitted
    _copy, _uncommitted = None, False


def reference_signals_connect() -> None:
    """Called once by the app's ``ready``: every save and deletion of a reference row (the
    admin, a shell, a data migration) reaches every process's copy. A signal, as STYLE.md
    allows for a cross-cutting concern: no service writes these rows."""
    models: tuple[type[Model], ...] = (*_MODELS, Category)
    for model in models:
        post_save.connect(reference_changed, sender=model,
                          dispatch_uid=f"reference_saved_{model.__name__}")
        post_delete.connect(reference_changed, sender=model,
                            dispatch_uid=f"reference_deleted_{model.__name__}")
