"""The back-office people a queue's "Assignée à" filter offers, from each process's copy
(selectors.directory): no query for them once read, and every change of a person, of their
roles or of a role reaches the next page — a sign-in alone does not read them again."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, update_last_login
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.permissions import Role
from tests import factories

pytestmark = pytest.mark.django_db

QUEUE = "/agent/queues/toutes-ouvertes/"


def offered(client) -> list[str]:
    html = client.get(QUEUE).content.decode()
    select = re.search(r'<select name="assignee".*?</select>', html, re.S)
    assert select is not None
    return re.findall(r"<option value=\"\d+\">([^<]*)</option>", select.group(0))


def test_the_queue_reads_no_one_but_the_signed_in_person_once_the_copy_is_made(
    client, servicedesk, expert
):
    client.force_login(servicedesk)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as captured:
        names = offered(client)
    assert sorted(names) == sorted([servicedesk.get_full_name() or servicedesk.username,
                                    expert.get_full_name() or expert.username])
    people_reads = [q["sql"] for q in captured.captured_queries
                    if '"auth_user"' in q["sql"] and "DISTINCT" in q["sql"]]
    assert people_reads == []
    memberships = [q["sql"] for q in captured.captured_queries if "auth_user_groups" in q["sql"]]
    assert len(memberships) == 1  # the signed-in person's own roles


def test_every_change_of_the_people_reaches_the_next_page(client, servicedesk, client_user):
    client.force_login(servicedesk)
    before = offered(client)
    newcomer = factories.make_agent(Role.EXPERT, username="newcomer")
    newcomer.first_name, newcomer.last_name = "Nora", "Neuchâtel"
    newcomer.save()
    assert "Nora Neuchâtel" in offered(client)

    newcomer.last_name = "Niederer"
    newcomer.save()
    assert "Nora Niederer" in offered(client) and "Nora Neuchâtel" not in offered(client)

    newcomer.groups.clear()  # no back-office role any more
    assert "Nora Niederer" not in offered(client)
    newcomer.groups.add(Group.objects.get(name=Role.RND))
    assert "Nora Niederer" in offered(client)

    newcomer.is_active = False
    newcomer.save()
    assert "Nora Niederer" not in offered(client)
    newcomer.delete()
    assert offered(client) == before

    rnd = Group.objects.get(name=Role.RND)
    left = factories.make_agent(Role.RND, username="rd-left")
    assert left.get_full_name() in offered(client)
    rnd.delete()  # a role removed: its people with it, without a per-person signal
    assert left.get_full_name() not in offered(client)
    assert client_user.get_full_name() not in offered(client)  # customers are never offered


def test_a_sign_in_does_not_read_the_people_again(client, servicedesk):
    client.force_login(servicedesk)
    offered(client)
    update_last_login(None, servicedesk)  # what a sign-in writes (the user_logged_in receiver)
    with CaptureQueriesContext(connection) as captured:
        offered(client)
    assert not any('"auth_user"' in q["sql"] and "DISTINCT" in q["sql"]
                   for q in captured.captured_queries)
    assert sum("auth_user_groups" in q["sql"] for q in captured.captured_queries) == 1
