"""Form fields shared by the portal's and the back office's forms."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.models import ModelChoiceIterator

from portal.input_bounds import pk_from_input
from requests_app.selectors.reference import reference_rows


class BoundedModelChoiceField(forms.ModelChoiceField):
    """A select of rows by primary key that refuses, as an invalid choice, what cannot be a
    key before asking the database."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values or isinstance(value, Model) or self.to_field_name:
            return super().to_python(value)
        if pk_from_input(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several rows by primary key; a value that cannot be a key is refused with the
    field's own message, before the database is asked (an out-of-range number made SQLite
    raise OverflowError)."""

    def _check_values(self, value: Any) -> Any:
        if not self.to_field_name:
            for item in value:
                if pk_from_input(item) is None:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                        params={"pk": item},
                    )
        return super()._check_values(value)  # type: ignore[misc]  # (not in the stubs)


class EvaluatedChoiceIterator(ModelChoiceIterator):
    """A select's choices read from its queryset itself, not through ``QuerySet.iterator()``
    (Django's choice), so that the rows a page has already read (a template asking whether
    there is any choice at all) are not read again to draw the options."""

    def rows(self) -> Iterable[Any]:
        return self.queryset

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.rows():
            yield self.choice(obj)


class _ReferenceChoiceIterator(EvaluatedChoiceIterator):
    """The choices from the process's copy of the reference rows, not from the queryset."""

    field: ReferenceChoiceField

    def rows(self) -> Iterable[Any]:
        return self.field.rows()

    def __len__(self) -> int:
        return len(self.field.rows()) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(self.field.rows())


class ReferenceChoiceField(forms.ModelChoiceField):
    """A select over reference rows (types, priorities, modules, organisations) read from
    the process's copy (``selectors.reference``): no query to draw it nor to check the
    answer. ``keep`` narrows the rows offered (and accepted), as a filtered queryset would."""

    iterator = _ReferenceChoiceIterator

    def __init__(self, model: type[Model], *, keep: Callable[[Any], bool] | None = None,
                 **kwargs: Any) -> None:
        self.model, self.keep = model, keep
        super().__init__(queryset=model._default_manager.none(), **kwargs)

    def rows(self) -> list[Any]:
        rows = reference_rows(self.model)
        return [row for row in rows if self.keep(row)] if self.keep else rows

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        key = self.to_field_name or "pk"
        if isinstance(value, self.model):
            value = getattr(value, key)
        for row in self.rows():
            if str(getattr(row, key)) == str(value):
                return row
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                              params={"value": value})

    def validate(self, value: Any) -> None:
        forms.Field.validate(self, value)
