"""Search that finds: accents and case aside, the key, the title, the description and the
comments (public ones for a client, internal notes too for the back office), the last word as
the beginning of a word (as-you-type), the best found first, on SQLite and on PostgreSQL
(the whole module runs on both; the PostgreSQL-only checks skip on SQLite). Search only
narrows what the access rule already lets a person see."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import search, services
from requests_app.models import Request
from requests_app.selectors import queues
from requests_app.selectors.portal import RequestFilters, portal_request_rows
from requests_app.selectors.search import Search
from requests_app.workflow import RequestStatus as S
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("full-text search, ranking and GIN indexes are PostgreSQL's")


def portal_keys(client, **params) -> list[str]:
    response = client.get(reverse("portal:home"), params)
    assert response.status_code == 200
    return re.findall(r">(SPT-\d+)<", response.content.decode())


def agent_keys(client, queue: str = "toutes", **params) -> list[str]:
    response = client.get(reverse("agent:queue", args=[queue]), params)
    assert response.status_code == 200
    return list(dict.fromkeys(re.findall(r">(SPT-\d+)<", response.content.decode())))


@pytest.fixture
def closing(client_user):
    return factories.make_request(client_user, title="Clôture mensuelle bloquée",
                                  description="La validation refuse l'écriture.")


@pytest.fixture
def other(client_user):
    return factories.make_request(client_user, title="Facture fournisseur",
                                  description="La facture porte un montant faux.")


# --- the normalisation --------------------------------------------------------------------------

def test_one_normalisation_for_what_is_stored_and_what_is_typed():
    assert search.search_normalise("Clôture N°12-b") == "cloture n 12 b"
    assert search.search_normalise("CLÔTURE") == search.search_normalise("cloture")
    assert search.search_normalise("Straße, Œuvre, Ørsted") == "strasse oeuvre orsted"
    assert search.search_terms("SPT-42  clôt") == [["spt", "42"], ["clot"]]
    assert search.search_terms(" -- ") == []


# --- what a client finds ------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["cloture", "CLÔTURE", "Clôture", "clot", "MENSUELLE clo",
                                   "écriture", "ecriture refuse"])
def test_accents_case_and_the_word_being_typed_find_it(client, client_user, closing, other,
                                                       typed):
    client.force_login(client_user)
    assert portal_keys(client, q=typed) == [closing.key]


def test_the_key_finds_it_with_or_without_its_prefix(client, client_user, closing, other):
    client.force_login(client_user)
    assert portal_keys(client, q=closing.key) == [closing.key]
    assert portal_keys(client, q=closing.key.lower()) == [closing.key]
    assert closing.key in portal_keys(client, q=str(closing.number))


def test_every_word_must_be_found(client, client_user, closing, other):
    client.force_login(client_user)
    assert portal_keys(client, q="clôture facture") == []
    assert portal_keys(client, q="facture montant") == [other.key]


def test_a_public_comment_finds_it_once_written(client, client_user, servicedesk, closing,
                                                other):
    client.force_login(client_user)
    assert portal_keys(client, q="lettrage") == []
    services.comment_add(actor=servicedesk, request=closing,
                         body="Le **lettrage** automatique était désactivé.")
    assert portal_keys(client, q="LETTRAGE") == [closing.key]
    services.comment_add(actor=client_user, request=other, body="Voir l'échéancier joint.")
    assert portal_keys(client, q="echeancier") == [other.key]


def test_an_internal_note_finds_it_for_the_back_office_never_for_the_client(
        client, client_user, servicedesk, closing, other):
    services.comment_add(actor=servicedesk, request=closing, is_internal=True,
                         body="Client difficile : proposer un geste commercial.")
    client.force_login(client_user)
    assert portal_keys(client, q="commercial") == []
    assert portal_keys(client, q="clôture commercial") == []
    assert portal_keys(client, q="comm") == []  # nor the note's word being typed
    client.force_login(servicedesk)
    assert agent_keys(client, q="commercial") == [closing.key]
    assert agent_keys(client, q="comm") == [closing.key]
    # A word of the title and a word of the note: both found, each in its own document.
    assert agent_keys(client, q="clôture commercial") == [closing.key]


def test_the_rnd_reference_finds_it_for_the_back_office(client, walk, servicedesk):
    request = walk(S.IN_PROGRESS)
    services.request_send_to_rnd(actor=servicedesk, request=request, rnd_reference="RD-4711")
    client.force_login(servicedesk)
    assert agent_keys(client, q="RD-4711") == [request.key]
    assert agent_keys(client, q="rd-47") == [request.key]


def test_search_only_narrows_what_the_access_rule_shows(client, client_user, outsider,
                                                        colleague, closing):
    theirs = factories.make_request(outsider, title="Clôture annuelle")
    unshared = factories.make_request(colleague, title="Clôture privée",
                                      shared_with_organisation=False)
    client.force_login(client_user)
    assert portal_keys(client, q="cloture") == [closing.key]
    assert portal_keys(client, q=theirs.key) == []
    assert portal_keys(client, q=unshared.key) == []


def test_words_in_a_transition_comment_and_a_confirmation_are_found(client, walk, client_user,
                                                                    servicedesk):
    request = walk(S.IN_PROGRESS)
    services.request_propose_resolution(actor=servicedesk, request=request,
                                        resolution="Le correctif 24.1.7 règle la TVA.")
    services.resolution_confirm(actor=client_user, request=request, body="Parfait, merci Zoé.")
    client.force_login(client_user)
    assert portal_keys(client, q="correctif 24.1.7") == [request.key]
    assert portal_keys(client, q="zoe") == [request.key]


def test_the_best_found_first_unless_an_order_is_chosen(client_user, servicedesk):
    in_title = factories.make_request(client_user, title="Inventaire annuel",
                                      description="Écart de stock.")
    in_text = factories.make_request(client_user, title="Stock faux",
                                     description="Après l'inventaire, un écart.")
    services.comment_add(actor=servicedesk, request=in_text, body="Inventaire relancé.")
    rows = portal_request_rows(client_user, RequestFilters(q="inventaire"), offset=0, limit=10)
    assert [row.number for row in rows] == [in_title.number, in_text.number]
    newest = portal_request_rows(client_user, RequestFilters(q="inventaire", sort="newest"),
                                 offset=0, limit=10)
    assert [row.number for row in newest] == [in_text.number, in_title.number]
    found = queues.queue_requests(servicedesk, queues.queue_get("toutes"), now=in_text.created_at,
                                  text="inventaire")
    assert [r.number for r in found] == [in_title.number, in_text.number]


def test_a_prefix_of_many_words_is_matched_as_a_prefix(client, client_user, closing, other,
                                                      monkeypatch):
    from requests_app.selectors import search as search_selectors

    monkeypatch.setattr(search_selectors, "COMPLETIONS_MAX", 0)
    client.force_login(client_user)
    assert portal_keys(client, q="clot") == [closing.key]
    assert portal_keys(client, q="mensuelle bloq") == [closing.key]


def test_punctuation_alone_searches_nothing(client, client_user, closing, other):
    client.force_login(client_user)
    assert sorted(portal_keys(client, q=" -- ")) == sorted([closing.key, other.key])


# --- the pages as one types ---------------------------------------------------------------------

def test_the_list_answers_htmx_with_its_results_only(client, client_user, closing, other):
    client.force_login(client_user)
    url = reverse("portal:home")
    whole = client.get(url, {"q": "clot"})
    html = whole.content.decode()
    assert "<html" in html and 'id="spt-results"' in html and 'hx-push-url="true"' in html
    assert 'aria-live="polite"' in html and "HX-Request" in whole["Vary"]

    part = client.get(url, {"q": "clot"}, headers={**HTMX, "HX-Target": "spt-results"})
    html = part.content.decode()
    assert part.status_code == 200 and "<html" not in html and "<form" not in html
    assert html.lstrip().startswith('<div id="spt-results">')
    assert closing.key in html and other.key not in html
    assert re.search(r'<div id="spt-search-status" hx-swap-oob="innerHTML">\s*1 demande\s*</div>',
                     html)
    none = client.get(url, {"q": "introuvable"}, headers={**HTMX, "HX-Target": "spt-results"})
    assert "Aucune demande ne correspond à ces critères." in none.content.decode()
    # Restoring a page of htmx's history needs the whole page.
    restore = client.get(url, {"q": "clot"}, headers={**HTMX, "HX-History-Restore-Request":
                                                      "true", "HX-Target": "spt-results"})
    assert "<html" in restore.content.decode()


def test_a_refused_filter_answers_htmx_with_the_reason_and_a_400(client, client_user):
    client.force_login(client_user)
    response = client.get(reverse("portal:home"), {"q": "x" * 201},
                          headers={**HTMX, "HX-Target": "spt-results"})
    html = response.content.decode()
    assert response.status_code == 400 and "<html" not in html
    assert "Le formulaire contient une erreur." in html
    assert "Corrigez les filtres" in html


def test_the_agent_queue_answers_htmx_with_its_results_or_its_content(client, servicedesk,
                                                                      closing, other):
    client.force_login(servicedesk)
    url = reverse("agent:queue", args=["toutes"])
    results = client.get(url, {"q": "clot"}, headers={**HTMX, "HX-Target": "agent-queue-results"})
    html = results.content.decode()
    assert results.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="agent-queue-results">')
    assert closing.key in html and other.key not in html
    assert 'id="agent-queue-count" hx-swap-oob="true">(1)' in html
    assert re.search(r'id="agent-search-status" hx-swap-oob="innerHTML">\s*1 demande trouvée',
                     html)
    content = client.get(url, {"q": "clot"}, headers={**HTMX, "HX-Target": "agent-content"})
    html = content.content.decode()
    assert "<title>Toutes les demandes · SPT Portal</title>" in html and "<html" not in html
    assert 'class="agent-filters"' in html and closing.key in html and other.key not in html
    whole = client.get(url, {"q": "clot"})
    assert "<html" in whole.content.decode() and "HX-Target" in whole["Vary"]


def test_searching_costs_the_pages_one_query_at_most(client, client_user, servicedesk,
                                                     closing, other):
    """No more queries with a search than without, the filter and order inside them: the
    customer list reads what a search found once, for its counts and its order (the counts
    query and the parts' first rows of a list without search); on PostgreSQL one query reads
    the whole words the last word typed begins (and, in the back office, the people named),
    which the indexes then find exactly: one more for the back office's queue."""
    more = 1 if connection.vendor == "postgresql" else 0

    def count(url, **params):
        client.get(url, params)  # the process's copies of reference rows and people
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    client.force_login(client_user)
    home = reverse("portal:home")
    assert count(home, q="la") <= count(home)  # both found: the same rows
    client.force_login(servicedesk)
    everything = reverse("agent:queue", args=["toutes"])
    assert count(everything, q="la") == count(everything) + more


# --- the documents: backfill, bulk load, PostgreSQL's index ----------------------------------

def test_the_migration_backfill_writes_what_the_services_write(client_user, servicedesk,
                                                               closing, walk):
    services.comment_add(actor=servicedesk, request=closing, body="Réponse publique.")
    services.comment_add(actor=servicedesk, request=closing, body="Note privée.",
                         is_internal=True)
    sent = walk(S.IN_PROGRESS)
    services.request_send_to_rnd(actor=servicedesk, request=sent, rnd_reference="RD-9")
    columns = ("pk", "search_document", "search_internal")
    written = list(Request.objects.order_by("pk").values_list(*columns))
    assert written[0][1] == "cloture mensuelle bloquee\nla validation refuse l ecriture\n" \
                            "reponse publique"
    Request.objects.update(search_document="", search_internal="")
    migration = __import__("requests_app.migrations.0012_search_document",
                           fromlist=["backfill"])
    migration.backfill(apps, SimpleNamespace(connection=connection))
    assert list(Request.objects.order_by("pk").values_list(*columns)) == written


def test_seed_volume_writes_the_documents_and_comments_to_find(client):
    call_command("seed_volume", requests=60, stdout=open("/dev/null", "w"))  # noqa: SIM115
    for request in Request.objects.order_by("number")[:20]:
        bodies = [c.body for c in request.comments.filter(is_internal=False)]
        assert request.search_document == search.search_document_extend(
            search.search_document(request.title, request.description), bodies)
        assert bool(request.search_internal) == bool(request.rnd_reference)
    # Words found in comments only, for the benchmarks' searches.
    found = Request.objects.filter(search_document__contains="lettrage")
    assert found.exists() and not found.filter(title__icontains="lettrage").exists()


def test_the_gin_index_serves_a_search(postgres_only, client_user, closing):
    search = Search("clot", internal=True)
    sql, params = Request.objects.filter(queues._text_q(search)).order_by().values("pk").query \
        .sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on req_search_vector" in plan, plan


def test_the_services_grow_the_vocabulary_that_completes_a_word(postgres_only, client_user,
                                                                servicedesk, closing):
    services.comment_add(actor=servicedesk, request=closing, body="Rapprochement bancaire.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM requests_app_searchword WHERE word LIKE 'rap%%'")
        assert cursor.fetchall() == [("rapprochement",)]
    search = Search("rappro")
    assert search.completions == ["rapprochement"]
    assert Request.objects.filter(search.q()).get() == closing


def test_the_organisation_is_compared_as_the_gin_index_reads_it(postgres_only, client_user):
    """btree_gin's index over (organisation_id, search_vector) compares a bigint with a
    bigint only: the organisation's id is typed so (an untyped number is an integer), which
    lets it serve a client's search among what their organisation shares."""
    sql, params = Request.objects.filter(
        organisation_id=client_user.profile.organisation_id).query.sql_with_params()
    assert '"organisation_id" = %s::bigint' in sql and params == (
        client_user.profile.organisation_id,)


def test_the_database_keeps_the_vector_in_step(postgres_only, servicedesk, closing):
    """The title's words weigh A, the rest of the public document's B, a note's C."""
    services.comment_add(actor=servicedesk, request=closing, body="Œuvre complète",
                         is_internal=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM requests_app_request WHERE id = %s",
                       [closing.pk])
        (vector,) = cursor.fetchone()
    assert "'cloture':1A" in vector and "'validation':5B" in vector
    assert "'oeuvre':9C" in vector and "'complete':10C" in vector


def test_searches_prepared_together_each_get_their_own_words(postgres_only, client_user,
                                                            servicedesk, closing):
    """A sidebar's saved views each search for something: one query prepares them all, and
    each search completes its own last word (and finds its own people)."""
    services.comment_add(actor=servicedesk, request=closing, body="Rapprochement bancaire.")
    searches = [Search("rappro", internal=True, prepare=False), Search("", prepare=False),
                Search("banc", internal=True, prepare=False)]
    with CaptureQueriesContext(connection) as captured:
        Search.prepare_together(searches)
    assert len(captured) == 1
    assert [s.completions for s in searches] == [["rapprochement"], None, ["bancaire"]]
    assert Request.objects.filter(searches[0].q()).get() == closing
