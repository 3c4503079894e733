"""Recording a delivery costs the user's action nothing when no endpoint exists, and one
insert when one does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app.models import Comment
from requests_app.workflow import RequestStatus as S
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


def comment_posted(client, request, body: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(reverse("portal:request_comment", kwargs={"key": request.key}),
                               {"comment-body": body})
    assert response.status_code == 302
    assert Comment.objects.filter(request=request, body=body).exists()
    return [q["sql"] for q in captured.captured_queries]


def test_without_an_endpoint_no_row_and_no_query(client, client_user, walk):
    request = walk(S.IN_PROGRESS)
    client.force_login(client_user)
    comment_posted(client, request, "Premier message")  # this process's copy, read once
    queries = comment_posted(client, request, "Merci, je teste demain.")
    assert not [sql for sql in queries if "webhooks_" in sql]
    assert not WebhookDelivery.objects.exists()


def test_with_an_endpoint_one_insert_and_no_read_of_the_endpoints(
        client, client_user, walk, endpoint_for, django_capture_on_commit_callbacks):
    request = walk(S.IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):  # the endpoint, committed
        endpoint = endpoint_for("http://127.0.0.1:9/hooks", ["commented"])
    client.force_login(client_user)
    comment_posted(client, request, "Premier message")  # this process's copy, read again
    queries = comment_posted(client, request, "Merci, je teste demain.")
    touched = [sql for sql in queries if "webhooks_" in sql]
    assert len(touched) == 1 and touched[0].startswith("INSERT INTO")
    assert "webhooks_webhookdelivery" in touched[0]
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2
