"""Sessions for several web nodes: with Redis, cached_db (every node reads the same sessions,
the database stays the truth, so a Redis restart signs nobody out); without, the database.
Two test clients stand for two web nodes sharing the database and the cache."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from tests.scale.environment import settings_with

CACHED_DB = "django.contrib.sessions.backends.cached_db"
DB = "django.contrib.sessions.backends.db"
LOGIN = reverse("login")
HOME = reverse("portal:home")


def test_the_session_engine_follows_redis_url():
    assert settings_with({"REDIS_URL": "redis://127.0.0.1:6379/5"},
                         "SESSION_ENGINE")["SESSION_ENGINE"] == CACHED_DB
    assert settings_with({}, "SESSION_ENGINE")["SESSION_ENGINE"] == DB
    # And this run's settings read the environment the same way.
    running: str = settings.SESSION_ENGINE
    assert running == (CACHED_DB if os.environ.get("REDIS_URL") else DB)


def sign_in(node: Client, username: str, password: str = "demo"):
    return node.post(LOGIN, {"username": username, "password": password})


def second_node_with_the_cookie_of(first: Client) -> Client:
    node = Client()
    name = settings.SESSION_COOKIE_NAME
    node.cookies[name] = first.cookies[name].value
    return node


@pytest.mark.django_db
@pytest.mark.parametrize("engine", [CACHED_DB, DB])
def test_a_sign_in_on_one_node_holds_on_the_other_and_survives_an_empty_cache(
    client_user, engine
):
    with override_settings(SESSION_ENGINE=engine):
        node_a = Client()
        assert sign_in(node_a, client_user.username).status_code == 302
        node_b = second_node_with_the_cookie_of(node_a)
        page = node_b.get(HOME)
        assert page.status_code == 200
        assert page.context["user"] == client_user

        # Redis restarted with nothing in it: still signed in, on either node.
        cache.clear()
        assert node_b.get(HOME).status_code == 200
        assert node_a.get(HOME).status_code == 200

        # Signing out on one node ends the session on the other.
        assert node_a.post(reverse("logout")).status_code in (200, 302)
        after = node_b.get(HOME)
        assert after.status_code == 302 and after["Location"].startswith(LOGIN)


@pytest.mark.django_db
@override_settings(SESSION_ENGINE=CACHED_DB)
def test_failed_sign_ins_count_on_every_node(client_user, settings):
    """django-axes counts in the database: failures spread over two nodes lock the account on
    both, whatever the session engine."""
    nodes = [Client(), Client()]
    for attempt in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert sign_in(nodes[attempt % 2], client_user.username, "faux").status_code == 200
    assert sign_in(nodes[1], client_user.username, "faux").status_code == 429
    assert sign_in(nodes[0], client_user.username).status_code == 429
