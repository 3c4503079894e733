"""Every API error in one shape with a stable code; rate limits answer 429 ``rate_limited``
with Retry-After."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from api.errors import api_exception_handler, flatten_detail
from requests_app.exceptions import (
    InvalidInput,
    PermissionDenied,
    RequestClosed,
    RequestNotFound,
    StaleRequest,
    TransitionNotAllowed,
)
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

PRIORITIES = "/api/v1/reference/priorities/"


@pytest.mark.parametrize("url", ["/api/", "/api/v1/", "/api/v1/nothing/", "/api/v2/x",
                                 "/api/v1/reference/priorities"])
def test_unknown_api_addresses_answer_a_json_404(client, url):
    for method in ("get", "post", "delete"):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url)
        assert error_of(response)["code"] == "not_found"


def test_a_malformed_body_is_a_400(api_client, client_user):
    response = api_client(client_user).generic(
        "POST", PRIORITIES, "{not json", content_type="application/json")
    # The body is read only by a view that takes one: this one answers with its method.
    assert response.status_code in {400, 405}


def test_an_unsupported_accept_is_a_406(api_client, client_user):
    response = api_client(client_user).get(PRIORITIES, HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response.json()["error"]["code"] == "not_acceptable"


@pytest.mark.parametrize(("error", "status", "code"), [
    (RequestNotFound(), 404, "not_found"),
    (PermissionDenied("Non."), 403, "forbidden"),
    (TransitionNotAllowed("Pas depuis ce statut."), 409, "transition_not_allowed"),
    (StaleRequest("Changée entre-temps."), 409, "stale"),
    (RequestClosed("Fermée."), 409, "closed"),
    (InvalidInput("Trop long.", field="title"), 400, "invalid"),
])
def test_domain_errors_keep_their_code_and_status(error, status, code):
    response = api_exception_handler(error, {})
    assert response is not None
    assert response.status_code == status
    assert response.data["error"]["code"] == code
    assert response.data["error"]["message"] == error.message
    if isinstance(error, InvalidInput):
        assert response.data["error"]["fields"] == {"title": ["Trop long."]}


def test_drf_errors_get_our_codes():
    from rest_framework import exceptions

    cases = [
        (exceptions.ParseError(), 400, "malformed"),
        (exceptions.ValidationError({"title": ["Requis."]}), 400, "invalid"),
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (exceptions.UnsupportedMediaType("text/csv"), 415, "unsupported_media_type"),
        (exceptions.Throttled(wait=12.2), 429, "rate_limited"),
        (exceptions.AuthenticationFailed(), 401, "token_invalid"),
        (exceptions.AuthenticationFailed(code="token_expired"), 401, "token_expired"),
    ]
    for exc, status, code in cases:
        response = api_exception_handler(exc, {})
        assert response is not None
        assert (response.status_code, response.data["error"]["code"]) == (status, code)
    throttled = api_exception_handler(exceptions.Throttled(wait=12.2), {})
    assert throttled is not None and throttled["Retry-After"] == "13"


def test_an_unexpected_error_stays_a_500():
    assert api_exception_handler(ZeroDivisionError(), {}) is None


def test_nested_validation_errors_are_flattened():
    detail = {"title": ["Requis."], "details": {"users": ["Un nombre."]},
              "non_field_errors": ["Incohérent."], "items": [{}, {"name": ["Vide."]}]}
    assert flatten_detail(detail) == {
        "title": ["Requis."], "details.users": ["Un nombre."],
        "non_field_errors": ["Incohérent."], "items.1.name": ["Vide."],
    }


def _rates(**rates: str) -> dict:
    return {**settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                       **rates}}


def test_reads_past_the_rate_are_a_429_with_retry_after(api_client, client_user, colleague):
    with override_settings(REST_FRAMEWORK=_rates(api_read="2/hour")):
        client = api_client(client_user, "read")
        assert client.get(PRIORITIES).status_code == 200
        assert client.get(PRIORITIES).status_code == 200
        refused = client.get(PRIORITIES)
        assert refused.status_code == 429
        assert error_of(refused)["code"] == "rate_limited"
        assert 1 <= int(refused["Retry-After"]) <= 3600
        # Another token of the same person shares the allowance...
        assert api_client(client_user, "read").get(PRIORITIES).status_code == 429
        # ...another person has their own.
        assert api_client(colleague, "read").get(PRIORITIES).status_code == 200


def test_writes_are_counted_apart_from_reads(api_client, client_user):
    with override_settings(REST_FRAMEWORK=_rates(api_write="1/hour", api_read="100/hour")):
        client = api_client(client_user, "read-write")
        assert client.post(PRIORITIES, {}, format="json").status_code == 405
        assert client.post(PRIORITIES, {}, format="json").status_code == 429
        assert client.get(PRIORITIES).status_code == 200


def test_anonymous_calls_have_their_own_stricter_rate(db):
    with override_settings(REST_FRAMEWORK=_rates(api_anon="1/hour")):
        client = APIClient()
        assert client.get("/api/schema/").status_code == 200
        refused = client.get("/api/schema/")
        assert refused.status_code == 429
        assert error_of(refused)["code"] == "rate_limited"


def test_the_default_rates_come_from_the_settings():
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["api_read"] == settings.API_READ_RATE
    assert rates["api_write"] == settings.API_WRITE_RATE
    assert rates["api_anon"] == settings.API_ANON_RATE
