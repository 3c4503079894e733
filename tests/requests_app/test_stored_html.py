"""The sanitised HTML of descriptions and comments, stored when written, and the migration that
fills it in for rows written before it existed (by pages of primary keys, more than one page)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from requests_app import services
from requests_app.models import Comment, Request
from tests import factories

pytestmark = pytest.mark.django_db


def test_written_rows_keep_their_html_and_the_migration_fills_older_ones(
    client_user, servicedesk, monkeypatch
) -> None:
    requests = [factories.make_request(client_user, description=f"Le **point {n}** <script>")
                for n in range(5)]
    for request in requests:
        services.comment_add(actor=servicedesk, request=request, body="Voir _ceci_.")
    assert Request.objects.get(pk=requests[0].pk).description_html.strip() == (
        "<p>Le <strong>point 0</strong> &lt;script&gt;</p>")
    assert {html.strip() for html in Comment.objects.values_list("body_html", flat=True)} == {
        "<p>Voir <em>ceci</em>.</p>"}
    # Rows written before the column existed: the migration renders them, two per page.
    Request.objects.update(description_html="")
    Comment.objects.update(body_html="")
    migration = importlib.import_module("requests_app.migrations.0006_stored_html")
    monkeypatch.setattr(migration, "BATCH", 2)
    migration.backfill(apps, None)
    assert sorted(html.strip() for html in Request.objects.values_list(
        "description_html", flat=True)) == [
        f"<p>Le <strong>point {n}</strong> &lt;script&gt;</p>" for n in range(5)]
    assert {html.strip() for html in Comment.objects.values_list("body_html", flat=True)} == {
        "<p>Voir <em>ceci</em>.</p>"}
