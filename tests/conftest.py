"""Shared fixtures: one person per role, two customer organisations, and a way to walk a
request to any status through the real services."""

from __future__ import annotations

import importlib

import pytest

from requests_app import services
from requests_app.permissions import Role
from requests_app.workflow import RequestStatus as S
from tests import factories

# The data migrations that seed reference data (types, priorities, modules, roles, calendar,
# status policy, SLO targets), re-run after a transactional test flushed the database.
REFERENCE_SEEDS = [
    ("requests_app.migrations.0002_seed_reference_data", "seed"),
    ("requests_app.migrations.0011_priority_wording", "reword"),
    ("requests_app.migrations.0013_reference_translations", "translate"),
    ("slo.migrations.0002_seed_calendar_and_policy", "seed"),
    ("slo.migrations.0003_seed_slo_targets", "seed"),
]


def reference_data_seed() -> None:
    from django.apps import apps
    from django.utils import translation

    from slo.calendar import calendar_cache_clear

    with translation.override("fr"):  # the seeds write the French columns
        for module, function in REFERENCE_SEEDS:
            getattr(importlib.import_module(module), function)(apps, None)
    # The seed bulk-creates working periods without renewing the calendar's revision: forget
    # any calendar cached from before the flush.
    calendar_cache_clear()


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """Transactional tests (live server, threads) run on a database that an earlier one may
    have flushed: put the migrations' reference data back first."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        reference_data_seed()


@pytest.fixture
def org_a(db):
    return factories.OrganisationFactory(name="Horlogerie du Jura SA")


@pytest.fixture
def org_b(db):
    return factories.OrganisationFactory(name="Chocolats du Léman SA")


@pytest.fixture
def client_user(org_a):
    return factories.make_client(org_a, "client")


@pytest.fixture
def colleague(org_a):
    return factories.make_client(org_a, "client2")


@pytest.fixture
def outsider(org_b):
    return factories.make_client(org_b, "client.leman")


@pytest.fixture
def frontdesk(db):
    return factories.make_agent(Role.FRONTDESK, username="frontdesk")


@pytest.fixture
def daily(db):
    return factories.make_agent(Role.DAILY, username="daily")


@pytest.fixture
def servicedesk(db):
    return factories.make_agent(Role.SERVICEDESK, username="servicedesk")


@pytest.fixture
def servicedesk2(db):
    return factories.make_agent(Role.SERVICEDESK, username="servicedesk2")


@pytest.fixture
def expert(db):
    return factories.make_agent(Role.EXPERT, username="expert")


@pytest.fixture
def rnd(db):
    return factories.make_agent(Role.RND, username="rd")


@pytest.fixture
def sales(db):
    return factories.make_agent(Role.SALES_ADMIN, username="sales")


@pytest.fixture
def walk(client_user, frontdesk, daily, servicedesk, expert, rnd):
    """``walk(status)`` returns a new request of ``client_user`` brought to ``status`` by the
    real services, assigned to ``servicedesk`` once started."""

    def to(status: str, **create_kwargs):
        r = factories.make_request(client_user, **create_kwargs)
        if status == S.OPEN:
            return r
        if status == S.CLOSED:
            return services.request_withdraw(actor=client_user, request=r, reason="Réglé.")
        r = services.request_qualify(
            actor=frontdesk, request=r, request_type=r.request_type,
            priority=r.priority, module=factories.module(), version="24.1",
            environment="production",
        )
        if status == S.QUALIFIED:
            return r
        r = services.request_start(actor=daily, request=r, assignee=servicedesk)
        if status == S.IN_PROGRESS:
            return r
        if status == S.AWAITING_TRIAGE:
            return services.request_escalate_to_expert(actor=servicedesk, request=r,
                                                       note="À analyser.")
        if status == S.AWAITING_RND:
            return services.request_send_to_rnd(actor=servicedesk, request=r,
                                                rnd_reference="RD-1")
        if status == S.AWAITING_CUSTOMER:
            return services.request_ask_customer(actor=servicedesk, request=r,
                                                 question="Quelle version exactement ?")
        raise AssertionError(status)

    return to


@pytest.fixture
def celery_eager():
    """Run tasks in-process even on the pass with a real broker, for tests about what a task
    does rather than about the broker (those live in tests/integration/)."""
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: each test starts with none (a person's posts in
    one test must not count against the same person in the next); nor any copy of the
    reference rows."""
    from django.core.cache import cache

    from requests_app.selectors.directory import DIRECTORY_COPY
    from requests_app.selectors.reference import reference_forget

    cache.clear()
    # Nor a copy of reference rows or people that a rolled-back test had read.
    reference_forget()
    DIRECTORY_COPY.forget()
