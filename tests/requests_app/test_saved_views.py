"""Saved views ("Enregistrer cette vue"): a queue with its filters and order under a name,
personal or shared with a role; who sees which; their counts in the side navigation (right,
and in one query whatever their number); rename and delete; bad input, the limit, and
filters that no longer exist."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from requests_app import permissions
from requests_app.exceptions import InvalidInput, PermissionDenied, SavedViewNotFound
from requests_app.forms.saved_views import saved_view_read
from requests_app.models import SavedView
from requests_app.permissions import Role
from requests_app.selectors import queues
from requests_app.selectors.saved_views import saved_view_counts, saved_views_for_user
from requests_app.services.saved_views import (
    SAVED_VIEWS_MAX,
    saved_view_create,
    saved_view_delete,
    saved_view_rename,
)
from requests_app.workflow import RequestStatus as S
from tests import factories

NAV = reverse("agent:queue_nav")


def new_url(queue: str) -> str:
    return reverse("agent:saved_view_new", args=[queue])


def nav_views(html: str) -> dict[str, str]:
    """{view name: its count as the navigation shows it ("" when not counted)}."""
    if 'id="agent-saved-views-heading"' not in html:
        return {}
    part = html[html.index('id="agent-saved-views-heading"'):]
    part = part[:part.index("</ul>")]
    found = {}
    for item in re.findall(r"<li>(.*?)</li>", part):
        name = re.search(r'<span class="agent-queue-name">([^<]*)', item).group(1)
        count = re.search(r'<span class="agent-count[^"]*">([^<]*)<', item)
        found[name] = count.group(1) if count else ""
    return found


@pytest.fixture
def admin_user(db):
    user = factories.UserFactory(username="admin")
    user.is_superuser = True
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def backlog(walk, client_user, outsider):
    """Open requests of two organisations and priorities, one of them assigned."""
    made = {
        "high_a": walk(S.OPEN, priority_code="high"),
        "medium_a": walk(S.OPEN),
        "high_b": factories.make_request(outsider, priority_code="high"),
        "started": walk(S.IN_PROGRESS, priority_code="high"),
        "closed": walk(S.CLOSED, priority_code="high"),
    }
    return made


# --------------------------------------------------------------------- creating

@pytest.mark.django_db
def test_an_agent_saves_the_queue_with_its_filters_and_order(client, servicedesk, backlog):
    high = factories.priority("high")
    client.force_login(servicedesk)
    response = client.post(new_url("toutes-ouvertes"), {
        "priority": high.pk, "sort": "newest", "page": "2", "view": "9",
        "saved-name": "  Urgentes   ouvertes ", "saved-shared_role": ""})
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.queue, view.shared_role) == (
        servicedesk, "Urgentes ouvertes", "toutes-ouvertes", "")
    # Only the filters and the order: not the page, nor the view the page showed.
    assert view.filters == {"priority": str(high.pk), "sort": "newest"}
    assert response.status_code == 302
    assert response["Location"] == (f"/agent/queues/toutes-ouvertes/?priority={high.pk}"
                                    f"&sort=newest&view={view.pk}")
    page = client.get(response["Location"]).content.decode()
    assert "Vue « Urgentes ouvertes » enregistrée" in page
    # The page says which view it shows, and lists exactly what the filters keep.
    assert re.search(r"<h1>Urgentes ouvertes <span", page)
    assert page.count('name="bulk-requests"') == 3
    assert "<title>Urgentes ouvertes" in page
    # The navigation marks the view, not its queue, as the page shown.
    nav = page[page.index('id="agent-queue-nav-list"'):]
    nav = nav[:nav.index("</nav>")]
    assert nav.count('aria-current="page"') == 1
    assert re.search(rf'href="[^"]*view={view.pk}" aria-current="page"', nav)
    assert f"?current=toutes-ouvertes&amp;view={view.pk}" in nav


@pytest.mark.django_db
def test_a_view_shared_with_a_role_reaches_its_people_only(client, servicedesk, servicedesk2,
                                                           daily, sales, client_user, backlog):
    client.force_login(servicedesk)
    client.post(new_url("toutes-ouvertes"), {
        "priority": factories.priority("high").pk, "saved-name": "Hautes",
        "saved-shared_role": Role.SERVICEDESK})
    saved_view_create(owner=servicedesk, name="Les miennes", queue="en-cours",
                      filters={"assignee": "me"})
    saved_view_create(owner=daily, name="Daily seul", queue="a-planifier", filters={})
    assert SavedView.objects.get(name="Hautes").shared_role == Role.SERVICEDESK

    def seen(user):
        return [view.name for view in saved_views_for_user(user)]

    # Their own first, then those shared with one of their roles; never another's own.
    assert seen(servicedesk) == ["Hautes", "Les miennes"]
    assert seen(servicedesk2) == ["Hautes"]
    assert seen(daily) == ["Daily seul"]
    assert seen(sales) == [] and seen(client_user) == []
    client.force_login(servicedesk2)
    assert set(nav_views(client.get(NAV).content.decode())) == {"Hautes"}
    html = client.get(NAV).content.decode()
    assert "partagée avec ServiceDesk" in html
    client.force_login(client_user)
    assert client.get(NAV).status_code == 403
    assert client.post(new_url("toutes-ouvertes"), {"saved-name": "X"}).status_code == 403
    assert SavedView.objects.count() == 3


@pytest.mark.django_db
def test_one_shares_only_with_a_role_one_holds_and_an_administrator_with_any(
        client, servicedesk, admin_user):
    client.force_login(servicedesk)
    response = client.post(new_url("a-qualifier"), {"saved-name": "Pour le FrontDesk",
                                                    "saved-shared_role": Role.FRONTDESK})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    with pytest.raises(InvalidInput) as refused:
        saved_view_create(owner=servicedesk, name="X", queue="a-qualifier", filters={},
                          shared_role=Role.FRONTDESK)
    assert refused.value.field == "shared_role"
    assert saved_view_create(owner=admin_user, name="X", queue="a-qualifier", filters={},
                             shared_role=Role.FRONTDESK).shared_role == Role.FRONTDESK


# -------------------------------------------------------------------- counting

@pytest.mark.django_db
def test_counts_in_the_navigation_are_the_queue_pages_counts(client, servicedesk, daily,
                                                             backlog, org_b):
    high = factories.priority("high")
    for name, queue, filters in (
        ("Hautes", "toutes-ouvertes", {"priority": str(high.pk)}),
        ("Léman", "toutes", {"organisation": str(org_b.pk)}),
        ("Les miennes", "en-cours", {"assignee": "me"}),
        ("Non assignées", "toutes-ouvertes", {"assignee": "none", "sort": "newest"}),
        ("Clôture", "toutes", {"q": "clôture"}),
        ("Rien", "a-qualifier", {"q": "introuvable"}),
    ):
        saved_view_create(owner=servicedesk, name=name, queue=queue, filters=filters)
    client.force_login(servicedesk)
    page = client.get("/agent/queues/a-qualifier/").content.decode()
    # The page lists the views at once, without counting them (the navigation asks later).
    assert nav_views(page) == dict.fromkeys(
        ["Clôture", "Hautes", "Les miennes", "Léman", "Non assignées", "Rien"], "")
    counted = nav_views(client.get(NAV).content.decode())
    for read in (saved_view_read(v) for v in saved_views_for_user(servicedesk)):
        shown = client.get(read.url).content.decode()
        h1 = re.search(r'id="agent-queue-count">\((\d+)\)', shown).group(1)
        assert counted[read.view.name] == h1, read.view.name
    assert counted == {"Hautes": "3", "Léman": "1", "Les miennes": "1", "Non assignées": "3",
                       "Clôture": "5", "Rien": "0"}
    # "me" is the reader: the same view counts for whoever opens it.
    assert saved_view_counts(daily, {"mine": (queues.queue_get("en-cours"),
                                               {"assignee": "me"})},
                             now=timezone.now())["mine"] == 0


@pytest.mark.django_db
def test_counts_take_one_query_whatever_the_number_of_views(client, servicedesk, backlog,
                                                             django_assert_num_queries):
    client.force_login(servicedesk)
    permissions.roles_of(servicedesk)

    def nav_queries() -> int:
        client.get(NAV)  # the process's copies (reference rows, people), read on first use
        with CaptureQueriesContext(connection) as captured:
            assert client.get(NAV).status_code == 200
        return len(captured)

    # A search among the views from the first: on PostgreSQL their words are completed from
    # the vocabulary, in one query for them all.
    saved_view_create(owner=servicedesk, name="Une", queue="toutes-ouvertes",
                      filters={"q": "clôture"})
    one = nav_queries()
    for index in range(12):
        saved_view_create(owner=servicedesk, name=f"Vue {index}", queue="toutes",
                          filters={"q": f"mot{index}", "priority": "1", "sort": "oldest"})
    assert nav_queries() == one
    views = {v.pk: (saved_view_read(v).queue, saved_view_read(v).filters)
             for v in saved_views_for_user(servicedesk)}
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 1):
        counts = saved_view_counts(servicedesk, views, now=timezone.now())
    assert len(counts) == 13
    with django_assert_num_queries(0):
        assert saved_view_counts(servicedesk, {}, now=timezone.now()) == {}


@pytest.mark.django_db
def test_a_view_counts_what_its_reader_may_see(sales, client_user, backlog):
    """A view's count goes through the reader's access rule: sales administration sees no
    Support request, whoever saved the view."""
    saved_view_create(owner=sales, name="Tout", queue="toutes-ouvertes", filters={})
    read = saved_view_read(saved_views_for_user(sales)[0])
    counts = saved_view_counts(sales, {1: (read.queue, read.filters)}, now=timezone.now())
    assert counts[1] == 0


# ------------------------------------------------------------- rename, delete

@pytest.mark.django_db
def test_the_owner_renames_and_deletes_their_view(client, servicedesk, backlog):
    view = saved_view_create(owner=servicedesk, name="Hautes", queue="toutes-ouvertes",
                             filters={"priority": str(factories.priority("high").pk)})
    read = saved_view_read(view)
    client.force_login(servicedesk)
    page = client.get(read.url).content.decode()
    assert "Gérer cette vue" in page and 'name="rename-name" value="Hautes"' in page
    rename = reverse("agent:saved_view_rename", args=["toutes-ouvertes", view.pk])
    response = client.post(rename, {"rename-name": "Hautes priorités"})
    assert response.status_code == 302 and response["Location"] == read.url
    assert SavedView.objects.get(pk=view.pk).name == "Hautes priorités"
    response = client.post(reverse("agent:saved_view_delete",
                                   args=["toutes-ouvertes", view.pk]))
    # Back on the same queue and filters, which may be saved again.
    assert response["Location"] == f"/agent/queues/toutes-ouvertes/?{read.url.split('?')[1]}" \
        .replace(f"&view={view.pk}", "")
    assert not SavedView.objects.exists()
    assert "Vue « Hautes priorités » supprimée." in client.get(
        response["Location"]).content.decode()


@pytest.mark.django_db
def test_a_shared_view_is_changed_by_its_owner_or_an_administrator_only(
        client, servicedesk, servicedesk2, admin_user):
    shared = saved_view_create(owner=servicedesk, name="Équipe", queue="en-cours",
                               filters={}, shared_role=Role.SERVICEDESK)
    own = saved_view_create(owner=servicedesk, name="À moi", queue="en-cours", filters={})
    client.force_login(servicedesk2)
    page = client.get(saved_view_read(shared).url).content.decode()
    assert "<h1>Équipe" in page and "Gérer cette vue" not in page
    assert "partagée avec le rôle ServiceDesk par" in page
    rename = reverse("agent:saved_view_rename", args=["en-cours", shared.pk])
    response = client.post(rename, {"rename-name": "Pris"})
    assert response.status_code == 403 and "Seule la personne qui a enregistré" in (
        response.content.decode())
    delete = reverse("agent:saved_view_delete", args=["en-cours", shared.pk])
    assert client.post(delete).status_code == 403
    # Another person's own view: not found, whatever the action.
    for action in ("saved_view_rename", "saved_view_delete"):
        url = reverse(f"agent:{action}", args=["en-cours", own.pk])
        assert client.post(url, {"rename-name": "Pris"}).status_code == 404
    assert set(SavedView.objects.values_list("name", flat=True)) == {"Équipe", "À moi"}
    with pytest.raises(PermissionDenied):
        saved_view_rename(actor=servicedesk2, view=shared, name="Pris")
    with pytest.raises(SavedViewNotFound):
        saved_view_delete(actor=servicedesk2, view=own)
    # An administrator who sees the shared view (through the role) changes it; another
    # person's personal view stays theirs.
    admin_user.groups.add(factories.Group.objects.get(name=Role.SERVICEDESK))
    admin = type(admin_user).objects.get(pk=admin_user.pk)
    assert saved_view_rename(actor=admin, view=shared, name="Équipe SD").name == "Équipe SD"
    with pytest.raises(SavedViewNotFound):
        saved_view_delete(actor=admin, view=own)


# ------------------------------------------------------------------- bad input

@pytest.mark.django_db
def test_bad_input_is_a_4xx_with_a_clear_message_and_writes_nothing(client, servicedesk,
                                                                   backlog):
    saved_view_create(owner=servicedesk, name="Hautes", queue="en-cours", filters={})
    client.force_login(servicedesk)
    cases = [
        ({"saved-name": "   "}, 400, "Ce champ est obligatoire."),
        ({"saved-name": "x" * 81}, 400, "au plus 80 caractères"),
        ({"saved-name": "HAUTES"}, 400, "Vous avez déjà une vue nommée « HAUTES »"),
        ({"saved-name": "Bizarre", "saved-shared_role": "Root"}, 400,
         "Sélectionnez un choix valide"),
    ]
    for data, status, message in cases:
        response = client.post(new_url("toutes-ouvertes"), data)
        html = response.content.decode()
        assert response.status_code == status, data
        assert message in html, data
        # The panel comes back open with what was typed, on the queue as it was.
        assert 'id="agent-save-view" open' in html
    assert client.post(new_url("nope"), {"saved-name": "X"}).status_code == 404
    assert client.get(new_url("en-cours")).status_code == 405
    view = SavedView.objects.get()
    for bad in ("0", "99999999999999999999", "abc", str(view.pk + 1)):
        assert client.post(f"/agent/queues/en-cours/views/{bad}/delete/").status_code == 404
    # A view posted under another queue than its own is not found there.
    assert client.post(reverse("agent:saved_view_delete",
                               args=["a-qualifier", view.pk])).status_code == 404
    rename = reverse("agent:saved_view_rename", args=["en-cours", view.pk])
    response = client.post(rename, {"rename-name": ""})
    assert response.status_code == 400 and 'id="agent-manage-view" open' in (
        response.content.decode())
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Hautes"]
    # Filters a hand-made call sends that the queue page never would are not stored.
    stored = saved_view_create(owner=servicedesk, name="Main", queue="en-cours",
                               filters={"priority": "1", "evil": "x", "q": ["a"]})
    assert stored.filters == {"priority": "1"}
    with pytest.raises(InvalidInput):
        saved_view_create(owner=servicedesk, name="Inconnue", queue="nope", filters={})


@pytest.mark.django_db
def test_a_person_keeps_at_most_twenty_views(client, servicedesk, servicedesk2):
    for index in range(SAVED_VIEWS_MAX):
        saved_view_create(owner=servicedesk, name=f"Vue {index}", queue="en-cours",
                          filters={}, shared_role=Role.SERVICEDESK if index % 2 else "")
    client.force_login(servicedesk)
    page = client.get("/agent/queues/en-cours/").content.decode()
    assert "Vous avez déjà 20 vues enregistrées, le maximum" in page
    assert 'name="saved-name"' not in page
    response = client.post(new_url("en-cours"), {"saved-name": "Une de trop"})
    assert response.status_code == 400
    assert "Vous avez déjà 20 vues enregistrées, le maximum" in response.content.decode()
    assert SavedView.objects.filter(owner=servicedesk).count() == SAVED_VIEWS_MAX
    # The limit is each person's: the shared ones do not count against a colleague's.
    assert saved_view_create(owner=servicedesk2, name="Vue 0", queue="en-cours", filters={})


# ---------------------------------------------------------------- stale filters

@pytest.mark.django_db
def test_filters_that_no_longer_exist_are_dropped_never_an_error(client, servicedesk, backlog,
                                                                 org_b):
    high = factories.priority("high")
    view = SavedView.objects.create(
        owner=servicedesk, name="Ancienne", queue="toutes-ouvertes",
        filters={"priority": str(high.pk), "organisation": "987654", "assignee": "424242",
                 "sort": "disparu", "q": "x" * 500, "legacy": "1", "request_type": ["?"]})
    gone_queue = SavedView.objects.create(
        owner=servicedesk, name="File disparue", queue="file-supprimee",
        filters={"organisation": str(org_b.pk)})
    junk = SavedView.objects.create(owner=servicedesk, name="Rien de lisible", queue="en-cours",
                                    filters=["pas", "un", "dict"])
    read = saved_view_read(view)
    assert read.query == {"priority": str(high.pk)}
    assert read.filters["priority"] == high and read.filters["organisation"] is None
    # A queue that no longer exists opens every request, with the filters it still has.
    moved = saved_view_read(gone_queue)
    assert moved.queue.slug == "toutes" and moved.query == {"organisation": str(org_b.pk)}
    assert saved_view_read(junk).query == {}
    client.force_login(servicedesk)
    counted = nav_views(client.get(NAV).content.decode())
    assert counted == {"Ancienne": "3", "File disparue": "1", "Rien de lisible": "1"}
    for each in (view, gone_queue, junk):
        response = client.get(saved_view_read(each).url)
        assert response.status_code == 200
        assert f"<h1>{each.name}" in response.content.decode()


# ---------------------------------------------------------------- the queue page

@pytest.mark.django_db
def test_changed_filters_are_no_longer_the_view(client, servicedesk, backlog):
    view = saved_view_create(owner=servicedesk, name="Hautes", queue="toutes-ouvertes",
                             filters={"priority": str(factories.priority("high").pk)})
    client.force_login(servicedesk)
    url = saved_view_read(view).url
    page = client.get(url + "&sort=newest").content.decode()
    assert "<h1>Hautes" not in page and "<h1>Toutes les demandes ouvertes" in page
    assert "Gérer cette vue" not in page
    # The filters of the page shown go with "Enregistrer cette vue", and follow a search
    # typed (the results' answer to htmx updates them out of band).
    fragment = client.get(url + "&q=cl%C3%B4ture", HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="agent-queue-results").content.decode()
    assert re.search(r'<div id="agent-saved-view-filters" hx-swap-oob="true">'
                     r'<input type="hidden" name="q" value="clôture">'
                     r'<input type="hidden" name="priority" value="\d+"></div>', fragment)


@pytest.mark.django_db
def test_each_queue_row_is_one_link_with_key_and_title(client, servicedesk, backlog):
    client.force_login(servicedesk)
    html = client.get("/agent/queues/toutes-ouvertes/").content.decode()
    rows = re.findall(r"<tr><td class=\"agent-col-select\">.*?</tr>", html)
    assert len(rows) == 4
    for row in rows:
        links = re.findall(r'<a class="agent-row-link" href="/agent/requests/(SPT-\d+)/[^"]*"'
                           r' title="\1 [^"]+"><span class="spt-ref">\1</span> '
                           r'<span class="agent-row-title">[^<]+</span></a>', row)
        assert len(links) == 1 and row.count("<a ") == 1, row


@pytest.mark.django_db
def test_pages_run_the_same_queries_with_one_or_many_saved_views(client, servicedesk,
                                                                 backlog):
    client.force_login(servicedesk)

    def queries(url: str) -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    # Searching views from the first (their words completed in one query for them all).
    view = saved_view_create(owner=servicedesk, name="Une", queue="toutes-ouvertes",
                             filters={"sort": "newest", "q": "clôture"})
    urls = ["/agent/", "/agent/queues/a-qualifier/", saved_view_read(view).url, NAV]
    few = {url: queries(url) for url in urls}
    for index in range(10):
        saved_view_create(owner=servicedesk, name=f"Vue {index}", queue="en-cours",
                          filters={"q": f"mot{index}"}, shared_role=Role.SERVICEDESK)
    assert {url: queries(url) for url in urls} == few
