"""The reference data served from each process's copy (selectors.reference): pages show no
join of it and no query for it once read, and every change reaches the copy — a save in
this process at once, another process's through the shared stamp, a row the copy has not
seen yet when a request names it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.models import Organisation, Priority, Request
from requests_app.selectors import reference
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_request_page_reads_no_reference_row_once_the_copy_is_made(client, client_user):
    request = factories.make_request(client_user, priority_code="high")
    client.force_login(client_user)
    url = f"/portal/requests/{request.key}/"
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    for table in ("requests_app_priority", "requests_app_requesttype",
                  "requests_app_organisation", "requests_app_erpmodule"):
        assert f'"{table}"' not in sql, table
    assert "<dd>Haute<span" in html and "Support" in html


def test_a_save_here_reaches_the_next_page_at_once(client, client_user):
    request = factories.make_request(client_user, priority_code="high")
    client.force_login(client_user)
    url = f"/portal/requests/{request.key}/"
    assert "Haute" in client.get(url).content.decode()
    high = Priority.objects.get(code="high")
    high.name = "Élevée"
    high.save()  # as the admin does
    assert "Élevée" in client.get(url).content.decode()


def test_another_process_change_is_seen_through_the_shared_stamp(client_user, monkeypatch):
    monkeypatch.setattr(reference.REFERENCE_COPY, "check_every", 3600.0)
    request = factories.make_request(client_user)
    reference.reference_attach([request])
    assert request.organisation.name == "Horlogerie du Jura SA"
    # Another process renamed it (and renewed the stamp); this one looks at the stamp
    # again once CHECK_EVERY has passed.
    Organisation.objects.filter(pk=request.organisation_id).update(name="Horlogerie SA")
    cache.set(reference.VERSION_KEY, "renewed elsewhere", None)
    reread = Request.objects.get(pk=request.pk)
    reference.reference_attach([reread])
    assert reread.organisation.name == "Horlogerie du Jura SA"  # not looked yet
    monkeypatch.setattr(reference.REFERENCE_COPY, "check_every", 0.0)
    reference.reference_attach([reread])
    assert reread.organisation.name == "Horlogerie SA"


def test_a_row_the_copy_has_not_seen_is_read_when_a_request_names_it(client_user):
    reference.reference_attach([factories.make_request(client_user)])  # the copy is made
    # Created behind the models' back (no signal, no new stamp): a bulk load, say.
    [newcomer] = Organisation.objects.bulk_create([Organisation(name="Verrerie du Lac SA")])
    request = factories.make_request(factories.make_client(
        Organisation.objects.get(pk=newcomer.pk), "lac"))
    Organisation.objects.filter(pk=newcomer.pk).update(name="Verrerie du Lac")
    reread = Request.objects.get(pk=request.pk)
    reference.reference_attach([reread])
    assert reread.organisation.name == "Verrerie du Lac"


@pytest.mark.django_db(transaction=True)
def test_a_change_rolled_back_leaves_no_trace_in_the_copy() -> None:
    from django.db import transaction

    high = Priority.objects.get(code="high")
    assert reference.reference_row(Priority, high.pk).name == "Haute"
    with pytest.raises(RuntimeError), transaction.atomic():
        Priority.objects.filter(pk=high.pk).update(name="Élevée")
        Priority.objects.get(pk=high.pk).save()  # the signal, inside the transaction
        # A page read inside it sees the uncommitted name...
        assert reference.reference_row(Priority, high.pk).name == "Élevée"
        raise RuntimeError("rolled back")
    # ...and the next read outside any transaction reads the database again.
    assert reference.reference_row(Priority, high.pk).name == "Haute"


def test_a_reference_select_offers_and_accepts_only_its_rows_without_a_query() -> None:
    from django import forms

    from requests_app.forms.fields import ReferenceChoiceField
    from requests_app.models import ErpModule

    retired = ErpModule.objects.create(code="retired", name="Ancien module", is_active=False)

    class ModuleForm(forms.Form):
        module = ReferenceChoiceField(ErpModule, keep=lambda row: row.is_active,
                                      empty_label="—")

    reference.reference_rows(ErpModule)  # the copy is made
    active = ErpModule.objects.filter(is_active=True).first()
    with CaptureQueriesContext(connection) as captured:
        html = str(ModuleForm()["module"])
        offered = [name for _value, name in ModuleForm().fields["module"].choices][1:]
        accepted = ModuleForm({"module": str(active.pk)})
        assert accepted.is_valid() and accepted.cleaned_data["module"] == active
    assert len(captured) == 0
    assert offered == sorted(offered) and "Ancien module" not in offered  # Meta: by name
    assert "Ancien module" not in html
    for refused in (str(retired.pk), "999999", "abc"):
        form = ModuleForm({"module": refused})
        assert not form.is_valid()
        assert "Sélectionnez un choix valide" in form.errors["module"][0]
