"""JSON logs with a request id: what a log collector reads of each request."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from celery import Celery
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.module_loading import import_string
from kombu import Connection

from portal import request_id
from portal.request_id import RequestContextFilter, RequestIdMiddleware

pytestmark = pytest.mark.django_db

NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger's records as the production configuration writes them (LOG_FORMAT
    "json": the settings' formatter and filter), into a buffer."""
    options = dict(django_settings.LOGGING["formatters"]["json"])
    formatter = import_string(options.pop("()"))(**options)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    handler.addFilter(RequestContextFilter(absent=None))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def records(buffer: io.StringIO) -> list[dict]:
    # Every line is one JSON object: a line that is not fails here.
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line]


def access_records(buffer: io.StringIO) -> list[dict]:
    return [record for record in records(buffer) if record["logger"] == "portal.access"]


def test_a_request_is_logged_as_json_with_the_id_its_answer_carries(client, json_log):
    response = client.get("/accounts/login/?next=/portal/&q=secret+search+words")
    assert response.status_code == 200
    answered_id = response["X-Request-ID"]
    assert NEW_ID.fullmatch(answered_id)
    [access] = access_records(json_log)
    assert access["request_id"] == answered_id
    assert access["level"] == "INFO"
    assert (access["method"], access["path"], access["status"]) == ("GET", "/accounts/login/",
                                                                    200)
    assert isinstance(access["duration_ms"], float)
    assert access["time"].endswith("+00:00")
    # The query string can hold what someone searched for: never in the logs.
    assert "secret" not in json_log.getvalue()


def test_every_record_of_the_request_carries_its_id_and_the_person(client, client_user,
                                                                   json_log):
    client.force_login(client_user)
    response = client.get("/portal/", HTTP_X_REQUEST_ID="proxy-7f3a9c21")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "proxy-7f3a9c21"
    [access] = access_records(json_log)
    assert access["request_id"] == "proxy-7f3a9c21"
    assert access["user_id"] == client_user.pk


def test_records_outside_a_request_have_no_id(client, json_log):
    client.get("/healthz")
    logging.getLogger("portal.test").warning("Beat is late")
    record = records(json_log)[-1]
    assert record["message"] == "Beat is late"
    assert record["request_id"] is None
    assert "path" not in record


def test_django_s_record_of_an_error_answer_has_the_id_and_not_the_query_string(
        client, json_log):
    response = client.get("/healthz?q=secret+search+words")  # 503: beat never swept
    assert response.status_code == 503
    [error] = [record for record in records(json_log) if record["logger"] == "django.request"]
    assert error["request_id"] == response["X-Request-ID"]
    assert error["path"] == "/healthz" and error["status_code"] == 503
    assert "secret" not in json_log.getvalue()


@pytest.mark.parametrize("sane", [
    "0f8fad5b-d9cb-469f-a165-70867728950e",
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "caddy.1234:5678",
])
def test_a_sane_incoming_request_id_is_kept(client, sane):
    assert client.get("/healthz", HTTP_X_REQUEST_ID=sane)["X-Request-ID"] == sane


@pytest.mark.parametrize("insane", [
    "short",
    "x" * 129,
    "forged\nINFO admin logged in",
    "has spaces in it",
    '"quoted-value"',
    "<script>alert(1)</script>",
    "",
])
def test_an_incoming_request_id_that_is_not_sane_is_replaced(client, insane, json_log):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=insane)
    answered = response["X-Request-ID"]
    assert NEW_ID.fullmatch(answered) and answered != insane
    [access] = access_records(json_log)
    assert access["request_id"] == answered


def test_each_request_gets_its_own_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second


def test_an_answer_before_the_portal_s_pages_carries_the_id_too(client, settings, json_log):
    settings.SECURE_SSL_REDIRECT = True  # the https redirect answers before any view
    response = client.get("/portal/", HTTP_X_REQUEST_ID="redirect-check-42")
    assert response.status_code == 301
    assert response["X-Request-ID"] == "redirect-check-42"
    assert access_records(json_log)[0]["status"] == 301


def test_the_access_log_can_be_turned_off(client, settings, json_log):
    settings.ACCESS_LOG = False
    assert client.get("/healthz")["X-Request-ID"]
    assert access_records(json_log) == []


def test_a_task_published_during_a_request_carries_its_id():
    """Through a real broker (kombu's in-memory transport), the message a request publishes
    has the request's id in its headers; the worker's records of it then carry the id."""
    # Not the current app: the portal's shared tasks must keep running on the portal's app.
    app = Celery("observability-probe", broker="memory://", set_as_current=False)
    app.conf.task_always_eager = False

    @app.task(name="observability.probe")
    def probe() -> None:
        return None

    def view(_request) -> HttpResponse:
        probe.delay()
        return HttpResponse("published")

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="publish-check-0001")
    assert RequestIdMiddleware(view)(request)["X-Request-ID"] == "publish-check-0001"
    request_id.request_context_clear()  # what sending the answer does
    with Connection("memory://") as connection:
        message = connection.SimpleQueue("celery").get(timeout=2)
        assert message.headers["request_id"] == "publish-check-0001"
        message.ack()

    # What the worker does with it: the task's records carry the id, and no longer after.
    task = type("Task", (), {"request": type("Request", (), {"request_id":
                                                             "publish-check-0001"})()})()
    request_id.task_context_enter(task_id="t-1", task=task)
    assert request_id.request_id_current() == "publish-check-0001"
    request_id.task_context_leave(task_id="t-1")
    assert request_id.request_id_current() is None
