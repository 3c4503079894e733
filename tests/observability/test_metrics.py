"""/metrics: who may scrape it, and what the monitoring system reads there."""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from kombu import Connection

from requests_app.models import OutboundMessage
from requests_app.tasks import sweep_outbox_task
from requests_app.workflow import RequestStatus as S
from slo.tasks import sweep_clocks_task
from tests.observability.conftest import samples, value

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-the-tests-0123456789"
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def unsent_message(*, state: str = OutboundMessage.State.PENDING,
                   created_at: datetime | None = None) -> OutboundMessage:
    return OutboundMessage.objects.create(
        to_address="someone@example.com", language="fr", kind="password_reset",
        subject="Mot de passe", body_text="…", body_html="<p>…</p>", state=state,
        created_at=created_at or datetime.now(UTC))


# --- who may scrape -------------------------------------------------------------------------

def test_the_local_host_may_scrape_without_a_token(client):
    response = client.get("/metrics")  # the test client's REMOTE_ADDR is 127.0.0.1
    assert response.status_code == 200
    assert b"spt_requests_open" in response.content
    assert response["X-Request-ID"]


def test_another_address_is_refused_and_reads_no_metric(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert b"spt_" not in response.content and b"django_http" not in response.content


def test_a_request_through_a_reverse_proxy_is_not_let_in_by_the_proxys_address(client):
    # Caddy on the same host: the connection comes from 127.0.0.1, the client from outside.
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert response.status_code == 403


def test_with_a_token_only_its_bearer_may_scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 403
    allowed = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
                         REMOTE_ADDR="198.51.100.7")
    assert allowed.status_code == 200
    assert b"spt_outbox_unsent_messages" in allowed.content


def test_allowed_networks_replace_the_local_host(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8"),
                                         ipaddress.ip_network("fd00::/8")]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="fd00::5").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="11.0.0.1").status_code == 403


def test_token_and_networks_both_set_must_both_pass(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    bearer = f"Bearer {TOKEN}"
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3",
                      HTTP_AUTHORIZATION=bearer).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1",
                      HTTP_AUTHORIZATION=bearer).status_code == 403


def test_the_settings_refuse_a_network_that_is_not_one():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings.base"],
        env={"PATH": "/usr/bin:/bin", "DEMO_MODE": "1", "METRICS_ALLOWED_NETWORKS":
             "10.0.0.0/8, not-a-network"},
        capture_output=True, text=True, cwd=django_settings.BASE_DIR, check=False)
    assert result.returncode != 0
    assert "METRICS_ALLOWED_NETWORKS" in result.stderr and "not-a-network" in result.stderr


def test_metrics_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/metrics").status_code == 200
    assert client.get("/healthz").status_code != 301
    assert client.get("/accounts/login/").status_code == 301


def test_only_get_is_answered(client):
    assert client.post("/metrics").status_code == 405


# --- what it says ---------------------------------------------------------------------------

def test_the_outbox_backlog_and_the_age_of_its_oldest_unsent_email(scrape):
    with time_machine.travel(NOW, tick=False):
        found = scrape()
        assert value(found, "spt_outbox_unsent_messages", state="pending") == 0
        assert value(found, "spt_outbox_unsent_messages", state="sending") == 0
        assert value(found, "spt_outbox_oldest_unsent_age_seconds") == 0

        unsent_message(created_at=NOW - timedelta(seconds=600))
        unsent_message(created_at=NOW - timedelta(seconds=30))
        unsent_message(state=OutboundMessage.State.SENDING,
                       created_at=NOW - timedelta(seconds=5))
        # Sent and failed for good are not waiting.
        unsent_message(state=OutboundMessage.State.SENT, created_at=NOW - timedelta(days=2))
        unsent_message(state=OutboundMessage.State.FAILED, created_at=NOW - timedelta(days=1))

        found = scrape()
    assert value(found, "spt_outbox_unsent_messages", state="pending") == 2
    assert value(found, "spt_outbox_unsent_messages", state="sending") == 1
    assert value(found, "spt_outbox_oldest_unsent_age_seconds") == 600


def test_the_age_of_the_last_outbox_and_slo_sweeps(scrape):
    with time_machine.travel(NOW, tick=False):
        found = scrape()
        # Never ran: no sample (an alert on absent() tells).
        assert value(found, "spt_slo_sweep_age_seconds") is None
        assert value(found, "spt_outbox_sweep_age_seconds") is None
        sweep_clocks_task.apply()
        sweep_outbox_task.apply()
    with time_machine.travel(NOW + timedelta(seconds=90), tick=False):
        found = scrape()
    assert value(found, "spt_slo_sweep_age_seconds") == 90
    assert value(found, "spt_outbox_sweep_age_seconds") == 90


def test_open_requests_by_status(scrape, walk):
    walk(S.OPEN)
    walk(S.OPEN)
    walk(S.IN_PROGRESS)
    walk(S.CLOSED)
    found = scrape()
    assert value(found, "spt_requests_open", status="open") == 2
    assert value(found, "spt_requests_open", status="in_progress") == 1
    assert value(found, "spt_requests_open", status="awaiting_rnd") == 0
    assert value(found, "spt_requests_open", status="closed") is None


def test_requests_served_are_counted_by_django_prometheus(client, scrape):
    before = scrape()
    assert client.get("/accounts/login/").status_code == 200
    client.get("/metrics", REMOTE_ADDR="203.0.113.9")  # refused: a 403 counted
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    # The login page, the refused scrape and the second scrape itself.
    assert grew("django_http_requests_total_by_method_total", method="GET") == 3
    assert grew("django_http_responses_total_by_status_total", status="403") == 1
    assert grew("django_http_responses_total_by_status_total", status="200") >= 2
    # The database backend's own counters (PostgreSQL's: the embedded SQLite keeps Django's
    # own engine): the session, the login page's queries.
    if _vendor() == "postgresql":
        assert grew("django_db_execute_total", alias="default", vendor="postgresql") >= 1


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


# --- the task queue -------------------------------------------------------------------------

def test_the_queue_length_of_the_file_system_broker(scrape, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path),
                                                "data_folder_out": str(tmp_path),
                                                "control_folder": str(tmp_path / "control")}
    assert value(scrape(), "spt_celery_queue_length", queue="celery") == 0
    with Connection("filesystem://", transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS
                    ) as connection:
        queue = connection.SimpleQueue("celery")
        for number in range(3):
            queue.put({"n": number})
        queue.close()
    assert value(scrape(), "spt_celery_queue_length", queue="celery") == 3


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL")
def test_the_queue_length_of_the_redis_broker(scrape, settings):
    # A queue of this test's own: the default one may be read by a worker meanwhile.
    name = f"observability-{uuid.uuid4().hex}"
    settings.CELERY_BROKER_URL = django_settings.REDIS_URL
    settings.CELERY_TASK_DEFAULT_QUEUE = name
    with Connection(django_settings.REDIS_URL) as connection:
        queue = connection.SimpleQueue(name)
        try:
            assert value(scrape(), "spt_celery_queue_length", queue=name) == 0
            for number in range(4):
                queue.put({"n": number})
            queue.put({"n": "urgent"}, priority=9)
            assert value(scrape(), "spt_celery_queue_length", queue=name) == 5
        finally:
            queue.clear()
            queue.close()


def test_an_unreachable_or_unknown_broker_gives_no_sample_and_no_error(scrape, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    found = scrape()
    assert not [key for key in found if key[0] == "spt_celery_queue_length"]
    assert value(found, "spt_requests_open", status="open") == 0
    settings.CELERY_BROKER_URL = "memory://"
    assert not [key for key in scrape() if key[0] == "spt_celery_queue_length"]


# --- webhooks -------------------------------------------------------------------------------

def _webhook_deliveries_ready() -> bool:
    from django.apps import apps
    from django.db import connection

    try:
        model = apps.get_model("webhooks", "WebhookDelivery")
    except LookupError:
        return False
    return model._meta.db_table in connection.introspection.table_names()


def test_the_webhook_backlog_when_the_portal_has_webhooks(scrape):
    if not _webhook_deliveries_ready():
        pytest.skip("no webhook deliveries in this portal")
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(name="ERP", url="https://erp.example.com/hook",
                                              event_kinds=["*"])
    with time_machine.travel(NOW, tick=False):
        for event_id, (state, age) in enumerate([("pending", 120), ("pending", 10),
                                                 ("sending", 5), ("delivered", 900)]):
            WebhookDelivery.objects.create(endpoint=endpoint, event_kind="status_changed",
                                           event_id=event_id, payload={}, state=state,
                                           created_at=NOW - timedelta(seconds=age))
        found = scrape()
    assert value(found, "spt_webhook_undelivered_deliveries", state="pending") == 2
    assert value(found, "spt_webhook_undelivered_deliveries", state="sending") == 1
    assert value(found, "spt_webhook_oldest_undelivered_age_seconds") == 120


# --- a real scrape over HTTP ----------------------------------------------------------------

def test_a_scraper_over_http_with_the_token(live_server, settings):
    settings.METRICS_TOKEN = TOKEN
    unsent_message()
    unsent_message()
    url = f"{live_server.url}/metrics"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 403
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        found = samples(response.read().decode())
    assert value(found, "spt_outbox_unsent_messages", state="pending") == 2
    assert value(found, "django_http_requests_total_by_method_total", method="GET") >= 2
