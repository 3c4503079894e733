"""The back office's live parts over HTTP: the navigation's counts and a queue's results
answer a 304 to the ETag they were drawn with until something the person may see changes
(and cost one query for it), and the request page's "modified meanwhile" endpoint tells of
someone else's change, never of a request the person may not see."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import services
from requests_app.permissions import Role
from requests_app.selectors.live import live_version
from requests_app.workflow import RequestStatus as S
from tests import factories

HTMX_RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "agent-queue-results"}


def poll(client, url: str, etag: str = "", **headers):
    """One asking as the page's script sends it, and the SQL it ran."""
    if etag:
        headers["HTTP_IF_NONE_MATCH"] = etag
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    return response, [q["sql"] for q in captured.captured_queries]


def request_reads(queries: list[str]) -> list[str]:
    """The queries that read requests or their history (not the session, the person, their
    profile and roles that every signed-in answer reads)."""
    return [sql for sql in queries if "requests_app_request" in sql]


# ------------------------------------------------------------------ navigation counts

@pytest.mark.django_db
def test_the_navigation_is_a_304_until_a_visible_change_then_a_200(client, daily, walk,
                                                                   servicedesk):
    r = walk(S.QUALIFIED)
    client.force_login(daily)
    url = reverse("agent:queue_nav") + "?current=a-planifier"
    first = client.get(url, HTTP_HX_REQUEST="true")
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('W/"nav-')
    # The fragment carries its ETag for the next asking.
    assert f'data-etag="{etag.replace(chr(34), "&quot;")}"' in first.content.decode()

    unchanged, queries = poll(client, url, etag, HTTP_HX_REQUEST="true")
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged["ETag"] == etag
    # No count, no saved view, no rendering: the version alone, one query, beyond what every
    # signed-in answer reads.
    reads = request_reads(queries)
    assert len(reads) == 1 and "MAX(" in reads[0] and "COUNT(" not in " ".join(queries), reads
    assert len(queries) <= 5, queries

    services.request_start(actor=daily, request=r, assignee=servicedesk)
    changed, _ = poll(client, url, etag, HTTP_HX_REQUEST="true")
    assert changed.status_code == 200 and changed["ETag"] != etag
    html = changed.content.decode()
    assert re.search(r'En cours — toutes</span>\s*<span class="agent-count agent-count-some">1<',
                     html)


@pytest.mark.django_db
def test_the_304_costs_the_same_queries_whatever_the_number_of_requests(client, daily,
                                                                        client_user):
    client.force_login(daily)
    url = reverse("agent:queue_nav")

    def cost() -> int:
        etag = client.get(url, HTTP_HX_REQUEST="true")["ETag"]
        response, queries = poll(client, url, etag, HTTP_HX_REQUEST="true")
        assert response.status_code == 304
        return len(queries)

    factories.make_request(client_user)
    few = cost()
    for _ in range(30):
        factories.make_request(client_user)
    assert cost() == few
    # Session, person, profile, roles, and the version.
    assert few <= 5, few


@pytest.mark.django_db
def test_a_change_the_person_may_not_see_leaves_their_navigation_unchanged(
        client, sales, client_user, servicedesk, walk):
    licence = factories.make_licence(sales, client_user)
    support = walk(S.IN_PROGRESS)
    client.force_login(sales)
    url = reverse("agent:queue_nav")
    etag = client.get(url, HTTP_HX_REQUEST="true")["ETag"]
    version = live_version(sales)

    # A Support request is not the sales administration's: its changes say nothing to them.
    services.comment_add(actor=servicedesk, request=support, body="Journal analysé.",
                         is_internal=True)
    factories.make_request(client_user)
    assert live_version(sales) == version
    assert poll(client, url, etag, HTTP_HX_REQUEST="true")[0].status_code == 304

    services.comment_add(actor=servicedesk, request=licence, body="Clé en préparation.")
    assert live_version(sales) > version
    assert poll(client, url, etag, HTTP_HX_REQUEST="true")[0].status_code == 200


@pytest.mark.django_db
def test_the_navigation_is_for_the_back_office_only(client, client_user):
    client.force_login(client_user)
    assert client.get(reverse("agent:queue_nav"), HTTP_HX_REQUEST="true",
                      HTTP_IF_NONE_MATCH='W/"nav-x"').status_code == 403
    client.logout()
    assert client.get(reverse("agent:queue_nav")).status_code == 302


# ------------------------------------------------------------------------ queue results

@pytest.mark.django_db
def test_the_queue_results_are_a_304_until_a_change_then_a_200(client, frontdesk,
                                                                client_user):
    for _ in range(3):
        factories.make_request(client_user)
    client.force_login(frontdesk)
    url = reverse("agent:queue", args=["a-qualifier"])
    page = client.get(url).content.decode()
    # The page gives its script the ETag its results were drawn with: the first asking of an
    # unchanged queue is already a 304.
    etag = re.search(r'id="agent-queue-live"[^>]*data-etag="([^"]+)"', page).group(1)
    etag = etag.replace("&quot;", '"')

    unchanged, queries = poll(client, url, etag, **HTMX_RESULTS)
    assert unchanged.status_code == 304 and unchanged["ETag"] == etag
    assert "HX-Target" in unchanged["Vary"]
    # The version alone: no row, count or clock read.
    reads = request_reads(queries)
    assert len(reads) == 1 and "MAX(" in reads[0], reads
    assert len(queries) <= 5, queries
    fresh, full = poll(client, url, **HTMX_RESULTS)
    assert fresh.status_code == 200 and fresh["ETag"] == etag
    assert len(request_reads(full)) >= 3, full

    new = factories.make_request(client_user, title="Nouvelle demande arrivée")
    changed, _ = poll(client, url, etag, **HTMX_RESULTS)
    assert changed.status_code == 200 and changed["ETag"] != etag
    html = changed.content.decode()
    assert html.startswith('<div id="agent-queue-results"') and new.key in html
    assert "<body" not in html


@pytest.mark.django_db
def test_each_address_has_its_own_etag(client, frontdesk, client_user):
    factories.make_request(client_user)
    client.force_login(frontdesk)
    url = reverse("agent:queue", args=["a-qualifier"])
    etag = client.get(url, **HTMX_RESULTS)["ETag"]
    # The same ETag for other filters is not theirs: their rows are drawn.
    other = client.get(url, {"sort": "newest"}, HTTP_IF_NONE_MATCH=etag, **HTMX_RESULTS)
    assert other.status_code == 200 and other["ETag"] != etag
    # Nor is a whole page ever a 304: only the results a script asks for again.
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.django_db
def test_a_queue_asked_by_someone_who_sees_only_part_moves_only_with_their_part(
        client, sales, client_user, servicedesk, walk):
    factories.make_licence(sales, client_user)
    client.force_login(sales)
    url = reverse("agent:queue", args=["toutes-ouvertes"])
    etag = client.get(url, **HTMX_RESULTS)["ETag"]
    support = walk(S.IN_PROGRESS)
    services.comment_add(actor=servicedesk, request=support, body="Rien pour les ventes.")
    response = client.get(url, HTTP_IF_NONE_MATCH=etag, **HTMX_RESULTS)
    assert response.status_code == 304


# ------------------------------------------------------------- "modified meanwhile"

def page_version(client, r) -> str:
    html = client.get(reverse("agent:request", args=[r.key])).content.decode()
    return re.search(r'id="agent-stale"[^>]*data-since="(\d+)"', html).group(1)


def changes(client, r, since: str):
    return client.get(reverse("agent:request_changes", args=[r.key]), {"since": since},
                      HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_the_page_hears_of_someone_elses_change_not_of_its_own(client, servicedesk,
                                                               servicedesk2, walk):
    servicedesk2.first_name, servicedesk2.last_name = "Sami", "Service"
    servicedesk2.save()
    r = walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    since = page_version(client, r)

    with CaptureQueriesContext(connection) as captured:
        nothing = changes(client, r, since)
    assert nothing.status_code == 204 and nothing.content == b""
    # The request through the access rule, then its history after the line: two queries.
    assert len(request_reads([q["sql"] for q in captured.captured_queries])) == 2
    assert len(captured) <= 6, len(captured)

    # One's own changes (another tab) and one's mailbox settings are not "meanwhile".
    services.comment_add(actor=servicedesk, request=r, body="Je regarde.", is_internal=True)
    services.notifications_mute_set(actor=servicedesk2, request=r, muted=True)
    assert changes(client, r, since).status_code == 204

    services.request_ask_customer(actor=servicedesk2, request=r,
                                  question="Quelle version exactement ?")
    warned = changes(client, r, since)
    html = warned.content.decode()
    assert warned.status_code == 200
    assert re.search(r"Cette demande a été modifiée par Sami Service à \d\d:\d\d — actualisez "
                     r"avant d(&#x27;|')agir\.", html), html
    assert "Nouveau statut : En attente client." in html
    assert f'href="/agent/requests/{r.key}/"' in html
    # From the change it told of, the next asking hears nothing new.
    told = re.search(r'data-since="(\d+)"', html).group(1)
    assert int(told) > int(since)
    assert changes(client, r, told).status_code == 204


@pytest.mark.django_db
def test_the_warning_keeps_the_queue_the_page_came_from(client, servicedesk, servicedesk2,
                                                        walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    since = page_version(client, r)
    services.comment_add(actor=servicedesk2, request=r, body="Vu.", is_internal=True)
    response = client.get(reverse("agent:request_changes", args=[r.key]),
                          {"since": since, "from": "/agent/queues/en-cours/"})
    assert 'href="/agent/requests/' + r.key + '/?from=%2Fagent%2Fqueues%2Fen-cours%2F"' in (
        response.content.decode())
    foreign = client.get(reverse("agent:request_changes", args=[r.key]),
                         {"since": since, "from": "https://evil.example/"})
    assert "evil" not in foreign.content.decode()


@pytest.mark.django_db
def test_the_changes_endpoint_is_a_404_for_a_request_the_person_may_not_see(
        client, sales, client_user, servicedesk, walk):
    support = walk(S.IN_PROGRESS)
    services.comment_add(actor=servicedesk, request=support, body="Analyse.")
    client.force_login(sales)
    assert changes(client, support, "0").status_code == 404
    assert client.get("/agent/requests/SPT-999999/changes/", {"since": "0"}).status_code == 404

    # On a licence the sales administration did not open, another's internal note is not
    # theirs to hear of; a public comment is.
    other_sales = factories.make_agent(Role.SALES_ADMIN, username="sales2")
    licence = factories.make_licence(other_sales, client_user)
    since = page_version(client, licence)
    services.comment_add(actor=servicedesk, request=licence, body="Note.", is_internal=True)
    assert changes(client, licence, since).status_code == 204
    services.comment_add(actor=servicedesk, request=licence, body="Clé envoyée.")
    assert changes(client, licence, since).status_code == 200


@pytest.mark.django_db
def test_the_changes_endpoint_refuses_clients_and_bad_input(client, client_user, servicedesk,
                                                            walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(client_user)
    assert changes(client, r, "0").status_code == 403
    client.force_login(servicedesk)
    for since in ("", "abc", "-1", "1e3", "١٢", "9" * 30):
        response = client.get(reverse("agent:request_changes", args=[r.key]),
                              {"since": since} if since else {})
        assert response.status_code == 400, since
        assert "since" in response.content.decode()
