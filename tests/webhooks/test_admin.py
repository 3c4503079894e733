"""The administrator registers endpoints and reads (and re-sends) their deliveries."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from requests_app import services
from requests_app.workflow import RequestStatus as S
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db
State = WebhookDelivery.State

ENDPOINTS = "admin:webhooks_webhookendpoint_changelist"
DELIVERIES = "admin:webhooks_webhookdelivery_changelist"


@pytest.fixture
def admin_client_logged(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_endpoint_is_registered_with_its_events(admin_client_logged):
    page = admin_client_logged.get(reverse("admin:webhooks_webhookendpoint_add"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="commented"' in html and 'value="*"' in html
    assert 'value="muted"' not in html  # never offered
    response = admin_client_logged.post(reverse("admin:webhooks_webhookendpoint_add"), {
        "name": "ERP", "url": "https://erp.example.test/hooks",
        "event_kinds": ["commented", "status_changed"], "is_active": "on",
    })
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_kinds == ["commented", "status_changed"]
    assert len(endpoint.secret) >= 40 and not endpoint.include_internal
    change = admin_client_logged.get(
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    assert change.status_code == 200 and endpoint.secret in change.content.decode()
    listing = admin_client_logged.get(reverse(ENDPOINTS))
    assert listing.status_code == 200 and "erp.example.test" in listing.content.decode()


@pytest.mark.parametrize("url", ["ftp://erp.example.test/hooks", "javascript:alert(1)",
                                 "file:///etc/passwd", "pas une adresse"])
def test_only_http_and_https_addresses_are_taken(admin_client_logged, url):
    response = admin_client_logged.post(reverse("admin:webhooks_webhookendpoint_add"), {
        "name": "ERP", "url": url, "event_kinds": ["commented"], "is_active": "on"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_an_unknown_event_kind_is_refused(admin_client_logged):
    response = admin_client_logged.post(reverse("admin:webhooks_webhookendpoint_add"), {
        "name": "ERP", "url": "https://erp.example.test/", "event_kinds": ["deleted_all"]})
    assert response.status_code == 200 and not WebhookEndpoint.objects.exists()


def test_regenerating_the_secret(admin_client_logged, endpoint_for):
    endpoint = endpoint_for("https://erp.example.test/hooks")
    old = endpoint.secret
    response = admin_client_logged.post(reverse(ENDPOINTS), {
        "action": "regenerate_secret", ACTION_CHECKBOX_NAME: [endpoint.pk]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret != old and len(endpoint.secret) >= 40


def test_an_endpoint_is_deactivated_not_deleted(admin_client_logged, endpoint_for):
    endpoint = endpoint_for("https://erp.example.test/hooks")
    response = admin_client_logged.get(
        reverse("admin:webhooks_webhookendpoint_delete", args=[endpoint.pk]))
    assert response.status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_delivery_log_and_its_resend(admin_client_logged, settings, walk, servicedesk,
                                         receiver, endpoint_for, celery_eager,
                                         django_capture_on_commit_callbacks):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    endpoint_for(receiver.url, ["commented"])
    request = walk(S.IN_PROGRESS)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(actor=servicedesk, request=request, body="Échouera")
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.state == State.FAILED

    for query in ({}, {"state": "failed"}, {"event_kind": "commented"}, {"q": "abc"},
                  {"q": str(delivery.delivery_id)}):
        page = admin_client_logged.get(reverse(DELIVERIES), query)
        assert page.status_code == 200, query
    html = admin_client_logged.get(reverse(DELIVERIES), {"state": "failed"}).content.decode()
    assert "HTTP 500" in html and "ERP de l" in html
    detail = admin_client_logged.get(
        reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]))
    assert detail.status_code == 200 and str(delivery.delivery_id) in detail.content.decode()

    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_logged.post(reverse(DELIVERIES), {
            "action": "resend", ACTION_CHECKBOX_NAME: [delivery.pk]})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (
        State.DELIVERED, 1, 200)
    assert receiver.accepted == {str(delivery.delivery_id): 1}
    # A delivered one is not sent again by the action.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_logged.post(reverse(DELIVERIES), {
            "action": "resend", ACTION_CHECKBOX_NAME: [delivery.pk]})
    assert len(receiver.received) == 2


def test_the_delivery_log_is_read_only(admin_client_logged):
    assert admin_client_logged.get(
        reverse("admin:webhooks_webhookdelivery_add")).status_code == 403
