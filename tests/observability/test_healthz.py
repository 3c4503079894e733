"""/healthz: the file storage among the checks, and what it tells of the background work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from requests_app.tasks import sweep_outbox_task
from slo.tasks import sweep_clocks_task

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


class UnreachableStorage(FileSystemStorage):
    """A storage whose server does not answer (a bucket behind a network that drops)."""

    def exists(self, name: str) -> bool:
        raise ConnectionRefusedError("storage unreachable")


def storages_with_default(settings, backend: str) -> dict:
    return {**settings.STORAGES, "default": {"BACKEND": backend}}


def test_healthz_reports_the_storage_ok(client):
    sweep_outbox_task.apply()
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == body["storage"] == "ok"


def test_healthz_reports_the_storage_with_files_in_it(client, settings):
    from django.core.files.storage import default_storage

    default_storage.save("attachments/probe-neighbour.txt", ContentFile(b"x"))
    sweep_outbox_task.apply()
    assert client.get("/healthz").json()["storage"] == "ok"


def test_an_unreachable_storage_fails_healthz_naming_the_check(client, settings):
    sweep_outbox_task.apply()
    settings.STORAGES = storages_with_default(
        settings, "tests.observability.test_healthz.UnreachableStorage")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["storage"] == "error: ConnectionRefusedError"
    # The other checks still answer.
    assert body["database"] == body["outbox"] == "ok"


def test_healthz_tells_the_age_of_the_last_slo_sweep(client):
    with time_machine.travel(NOW, tick=False):
        assert client.get("/healthz").json()["slo_sweep_age_seconds"] is None
        sweep_clocks_task.apply()
        sweep_outbox_task.apply()
    with time_machine.travel(NOW + timedelta(seconds=42), tick=False):
        response = client.get("/healthz")
    body = response.json()
    assert body["slo_sweep_age_seconds"] == 42
    assert body["outbox_sweep_age_seconds"] == 42
    # For information: an SLO sweep late does not fail the probe.
    assert response.status_code == 200


def test_healthz_tells_the_webhook_backlog_when_the_portal_has_webhooks(client):
    from tests.observability.test_metrics import _webhook_deliveries_ready

    if not _webhook_deliveries_ready():
        pytest.skip("no webhook deliveries in this portal")
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(name="ERP", url="https://erp.example.com/hook",
                                              event_kinds=["*"])
    with time_machine.travel(NOW, tick=False):
        assert client.get("/healthz").json()["webhook_backlog"] == 0
        WebhookDelivery.objects.create(endpoint=endpoint, event_kind="status_changed",
                                       event_id=1, payload={},
                                       created_at=NOW - timedelta(seconds=300))
        body = client.get("/healthz").json()
    assert body["webhook_backlog"] == 1
    assert body["oldest_undelivered_webhook_age_seconds"] == 300
