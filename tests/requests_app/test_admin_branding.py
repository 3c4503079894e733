"""The admin is the portal's: its name in every header and title, and dates typed as the
Swiss type them ("24.12.2026"), as everywhere in the portal's forms."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from django.contrib import admin
from django.utils import translation

from slo.models import ClosureDay

pytestmark = pytest.mark.django_db


def test_the_admin_says_spt_portal(client, admin_user):
    client.force_login(admin_user)
    html = client.get("/admin/").content.decode()
    assert "SPT Portal — Administration" in html and "Django" not in html.split("</title>")[0]
    assert "Administration de Django" not in html


@pytest.mark.parametrize("language", ["fr", "de", "en"])
@pytest.mark.parametrize("typed", ["24.12.2026", "24/12/2026", "2026-12-24"])
def test_the_admin_takes_swiss_dates(language, typed):
    inline = admin.site._registry[ClosureDay.calendar.field.related_model].inlines[1]
    form_class = forms.modelform_factory(ClosureDay, fields=inline.fields)
    with translation.override(language):
        form = form_class({"date": typed, "label": "Pont de Noël"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["date"] == date(2026, 12, 24)
        assert not form_class({"date": "24.13.2026", "label": "x"}).is_valid()
