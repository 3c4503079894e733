"""Form fields shared by the portal's and the back office's forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.forms.models import ModelChoiceIterator


class EvaluatedChoiceIterator(ModelChoiceIterator):
    """A select's choices read from its queryset itself, not through ``QuerySet.iterator()``
    (Django's choice), so that the rows a page has already read (a template asking whether
    there is any choice at all) are not read again to draw the options."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)
