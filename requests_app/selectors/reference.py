"""Reference data in each process's memory: request types (with their categories),
priorities, ERP modules and organisations, by primary key.

Why: a request page joined these four tables to the request, and PostgreSQL spent ten times
longer planning that query than running it (1.8 ms of planning against 0.15 ms without the
joins); a queue page built 150 of these objects for its 50 rows. They are a few hundred rows
that change a few times a year, read on every page.

Freshness: a ``ProcessCopy`` (``selectors.process_copy``). Every save or deletion of one of
these rows (the admin, a shell, a data migration through the models) forgets this process's
copy at once and announces it to the others through the shared cache; a row written behind
the models' back (``QuerySet.update``, raw SQL, a bulk load) is seen when the stamp next
changes, or after five minutes at the latest: such writers call ``reference_changed()``.

The objects are shared by every request the process serves: read them, never change them.
Their translated fields (``requests_app.translation``) read in the language active when they
are read, so one copy serves every language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language

from requests_app.models import (
    Category,
    Environment,
    ErpModule,
    Organisation,
    Priority,
    Request,
    RequestType,
)
from requests_app.selectors.process_copy import ProcessCopy

# The request's foreign keys served from here, and the model each points to.
REQUEST_FIELDS: dict[str, type[Model]] = {
    "request_type": RequestType, "priority": Priority, "module": ErpModule,
    "organisation": Organisation,
}
_MODELS: tuple[type[Model], ...] = (RequestType, Priority, ErpModule, Organisation)


@dataclass
class _Rows:
    by_pk: dict[type[Model], dict[int, Model]]
    # Each model's rows in its ``Meta.ordering`` in a language (names sort differently in
    # each), sorted the first time a select asks.
    ordered: dict[tuple[type[Model], str], list[Any]] = field(default_factory=dict)


def _load() -> _Rows:
    by_pk: dict[type[Model], dict[int, Model]] = {
        RequestType: {t.pk: t for t in RequestType.objects.select_related("category")},
    }
    for model in _MODELS[1:]:
        by_pk[model] = {row.pk: row for row in model._default_manager.all()}
    return _Rows(by_pk=by_pk)


REFERENCE_COPY: ProcessCopy[_Rows] = ProcessCopy("spt:reference-version", _load)
VERSION_KEY = REFERENCE_COPY.key


def reference_row(model: type[Model], pk: int | None) -> Any:
    """The row ``pk`` of ``model`` (one of the reference models), None for None; read again
    from the database once when it is not in the copy (created a moment ago elsewhere)."""
    if pk is None:
        return None
    found = REFERENCE_COPY.current().by_pk[model].get(pk)
    if found is None:
        found = REFERENCE_COPY.current(force=True).by_pk[model].get(pk)
    if found is None:  # not committed yet when the copy was read again: read it alone
        found = model._default_manager.get(pk=pk)
    return found


def reference_rows(model: type[Model]) -> list[Any]:
    """Every row of ``model`` in its ``Meta.ordering`` in the active language (a select's
    options), from the copy."""
    copy = REFERENCE_COPY.current()
    ordering = (model, get_language() or "")
    rows = copy.ordered.get(ordering)
    if rows is None:
        rows = list(copy.by_pk[model].values())
        for name in reversed([str(name) for name in model._meta.ordering or ["pk"]]):
            rows.sort(key=attrgetter(name.lstrip("-")), reverse=name.startswith("-"))
        copy.ordered[ordering] = rows
    return rows


def detail_value(request: Request, field: str) -> Any:
    """A request's detail field (``REQUEST_FIELDS`` or a plain one) as stored: the primary
    key of a reference row, an environment's code, a version's text."""
    return getattr(request, f"{field}_id" if field in REQUEST_FIELDS else field)


def detail_text(field: str, value: Any) -> str:
    """A detail field's stored value as the reader reads it, in the active language: a
    type's, priority's or module's name, an environment's label; "" for none, or for a
    reference row deleted since (the caller keeps the text it recorded then)."""
    if value in (None, ""):
        return ""
    model = REQUEST_FIELDS.get(field)
    if model is not None:
        row = REFERENCE_COPY.current().by_pk[model].get(value)
        if row is None:
            row = model._default_manager.filter(pk=value).first()
        return "" if row is None else str(row)
    if field == "environment":
        return str(Environment(value).label) if value in Environment.values else str(value)
    return str(value)


def reference_attach(requests: Iterable[Request],
                     fields: Iterable[str] = tuple(REQUEST_FIELDS)) -> None:
    """Give each request its type (with its category), priority, module and organisation
    from the copy, as ``select_related`` would have: no query, no join."""
    for request in requests:
        for name in fields:
            setattr(request, name,
                    reference_row(REQUEST_FIELDS[name], getattr(request, f"{name}_id")))


def reference_changed(**_kwargs: Any) -> None:
    """A reference row changed: this process forgets its copy, the others see a new stamp."""
    REFERENCE_COPY.changed()


def reference_forget() -> None:
    """This process's copy dropped (the tests, between two: a rolled-back test's rows)."""
    REFERENCE_COPY.forget()


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
