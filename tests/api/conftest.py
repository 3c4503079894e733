"""Fixtures of the API's tests: a client that calls as a person with one of their tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from api.services import api_token_create


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The API's browser tests run on the browser tests' worker under pytest-xdist
    (``--dist loadgroup``), as those of tests/browser/ do."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.xdist_group("browser"))


class TokenClient(APIClient):
    """An API client that sends ``Authorization: Bearer <token>`` on every call."""

    token: Any
    plain: str


@pytest.fixture
def api_client(db) -> Callable[..., TokenClient]:
    """``api_client(user, scope="read-write")``: a client calling as ``user`` with a new
    personal token of theirs (``.token`` the row, ``.plain`` its value)."""

    def make(user: Any, scope: str = "read-write") -> TokenClient:
        token, plain = api_token_create(owner=user, name=f"Tests {scope}", scope=scope)
        client = TokenClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        client.token, client.plain = token, plain
        return client

    return make


def error_of(response: Any) -> dict[str, Any]:
    """The ``error`` object of an API error answer, after checking its shape."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]
