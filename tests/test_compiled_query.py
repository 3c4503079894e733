"""portal.compiled_query: a read by a list of ids, compiled once per length, gives exactly the
rows the ORM gives (dates as aware datetimes on SQLite too), in one query; a shape whose
parameters are not the ids alone is read through the ORM."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from portal.compiled_query import IdListQuery
from requests_app.models import Request
from slo.models import SloClock
from tests import factories

pytestmark = pytest.mark.django_db

FIELDS = ("request_id", "kind", "state", "started_at", "due_at", "consumed_seconds")


def clocks_of(ids):
    return SloClock.objects.filter(request_id__in=ids).order_by("request_id", "kind") \
        .values_list(*FIELDS)


def test_the_same_rows_as_the_orm_for_every_length(client_user):
    made = [factories.make_request(client_user).pk for _ in range(4)]
    query = IdListQuery(clocks_of)
    for ids in (made[:1], made[:3], made, list(reversed(made)), made[1:3]):
        with CaptureQueriesContext(connection) as captured:
            rows = query.rows(ids)
        assert len(captured) == 1
        assert [tuple(row) for row in rows] == list(clocks_of(ids))
        assert all(isinstance(row[3], datetime) and row[3].tzinfo is not None for row in rows)
    assert query.rows(made[:2]) and query.rows([made[0], made[0]]) == query.rows(made[:1])


def test_a_shape_with_other_parameters_is_read_through_the_orm(client_user):
    mine = factories.make_request(client_user, title="Une")
    other = factories.make_request(client_user, title="Autre")

    def titled(ids):
        return Request.objects.filter(Q(pk__in=ids) & Q(title="Une")).values_list("pk")

    query = IdListQuery(titled)
    assert [tuple(row) for row in query.rows([mine.pk, other.pk])] == [(mine.pk,)]
    assert [tuple(row) for row in query.rows([other.pk, mine.pk])] == [(mine.pk,)]
