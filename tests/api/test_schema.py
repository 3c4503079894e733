"""The OpenAPI schema describes the API as it answers: schemathesis generates calls for every
operation of /api/schema/ (through the WSGI application, on the test database) and checks
that none is a 5xx and that every answer's status, content type, headers and body conform
to the schema. As an agent and as a customer, each with a read-write token, over seeded
requests. Bounded and derandomized: the same calls every run."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.wsgi import application
from requests_app.workflow import RequestStatus as S
from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 10
# High enough that generated calls are never throttled here (throttling has its own tests).
UNTHROTTLED = {"api_read": "100000/min", "api_write": "100000/min", "api_anon": "100000/min"}


def _load_schema() -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Calls straight into the WSGI application end with ``request_finished``, whose handler
    closes a connection found inside a transaction: the test's own, on PostgreSQL. Django's
    test client unplugs that handler around each call; so do we, around the run."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(walk, client_user, servicedesk):
    """Requests in several statuses, for the generated calls to meet real rows."""
    return [walk(S.OPEN), walk(S.IN_PROGRESS), walk(S.AWAITING_CUSTOMER)]


def test_the_schema_is_public_openapi_3_with_our_security_and_error(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiToken"] == {**schemes["apiToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["in"] == "cookie"
    error = schema["components"]["schemas"]["Error"]
    for code in ("not_found", "token_read_only", "rate_limited", "transition_not_allowed"):
        assert f"`{code}`" in error["description"]
    priorities = schema["paths"]["/api/v1/reference/priorities/"]["get"]
    assert priorities["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    assert "Retry-After" in priorities["responses"]["429"]["headers"]


def _with_seeded_key(keys: list[str]) -> Any:
    """A case whose request key (if its path has one) is mostly a seeded request's: random
    keys would only ever meet the 404."""

    def pick(pair: tuple[Any, str]) -> Any:
        case, key = pair
        if case.path_parameters and "key" in case.path_parameters:
            case.path_parameters["key"] = key
        return case

    return pick


def _run_every_operation(headers: dict[str, str], keys: list[str]) -> list[str]:
    """Each operation's generated calls; the failures, one line each (all of them, not the
    first only: the report says everything at once)."""
    schema = _load_schema()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        cases = st.tuples(operation.as_strategy(),
                          st.sampled_from([*keys, "SPT-999999"])).map(_with_seeded_key(keys))

        @given(case=cases)
        @hypothesis_settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True,
                             deadline=None, database=None, print_blob=False,
                             suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as failure:  # noqa: BLE001 - every operation's failure, reported
            first_line = str(failure).strip().splitlines()[:6]
            failures.append(f"{operation.label}: {' | '.join(first_line)}")
    return failures


@override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK,
                                   "DEFAULT_THROTTLE_RATES": UNTHROTTLED})
@pytest.mark.parametrize("who", ["servicedesk", "client_user"])
def test_every_operation_answers_as_its_schema_says(request, api_client, seeded, who,
                                                    wsgi_keeps_the_test_connection):
    person = request.getfixturevalue(who)
    token = api_client(person, "read-write")
    keys = [seeded_request.key for seeded_request in seeded]
    failures = _run_every_operation({"Authorization": f"Bearer {token.plain}"}, keys)
    assert not failures, "\n".join(failures)


def test_the_schema_errors_answer_in_the_error_format(client, db):
    response = client.post("/api/schema/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
