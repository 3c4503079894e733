"""What every ModelAdmin of ours adds to the Django admin's own parsing of its URLs and forms,
where the admin answers a 500 to hand-made input."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import helpers
from django.db import models
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from portal.input_bounds import pk_from_input


class AdminInputMixin:
    """Mixed into each of our ModelAdmins (before ``admin.ModelAdmin``)."""

    model: type[Model]

    def get_object(self, request: HttpRequest, object_id: str,
                   from_field: str | None = None) -> Model | None:
        # ``?_to_field=`` (empty) reaches the admin's lookup as the field named "" (a
        # FieldDoesNotExist, hence a 500): no field given means the primary key.
        return super().get_object(request, object_id, from_field or None)  # type: ignore[misc]

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        # The ticked rows' ids go straight into ``pk__in``: "²" is a ValueError there, a
        # number beyond the column an OverflowError (SQLite) or a DataError (PostgreSQL).
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if isinstance(self.model._meta.pk, models.IntegerField) and any(
            pk_from_input(value) is None for value in selected
        ):
            messages.error(request, _("Sélection invalide : aucune action effectuée."))
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)  # type: ignore[misc]
