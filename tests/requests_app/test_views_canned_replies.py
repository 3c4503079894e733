"""Canned replies over HTTP: every URL for every role, the management pages (list, search,
create, edit, delete) with their refusals — a 4xx, a clear message, nothing written —, the
insert control of the request page (its list and the reply filled as JSON), fixed query
counts, and the Django admin's form."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app.models import CannedReply, Profile
from requests_app.selectors.canned_replies import PICK_LIMIT
from requests_app.workflow import RequestStatus as S
from tests import factories

pytestmark = pytest.mark.django_db

LIST = "/agent/canned-replies/"
NEW = "/agent/canned-replies/new/"


def edit_url(reply: CannedReply) -> str:
    return f"/agent/canned-replies/{reply.pk}/edit/"


def delete_url(reply: CannedReply) -> str:
    return f"/agent/canned-replies/{reply.pk}/delete/"


def pick_url(r, **query) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/agent/requests/{r.key}/canned-replies/" + (f"?{params}" if params else "")


def fill_url(r, reply: CannedReply) -> str:
    return f"/agent/requests/{r.key}/canned-replies/{reply.pk}/"


def form(fr=("Accusé de réception", "Bonjour {{client.prenom}}"), de=("", ""), en=("", ""),
         **extra) -> dict:
    return {"title_fr": fr[0], "body_fr": fr[1], "title_de": de[0], "body_de": de[1],
            "title_en": en[0], "body_en": en[1], **extra}


def rows() -> list[tuple]:
    return list(CannedReply.objects.order_by("pk").values_list(
        "title_fr", "body_fr", "title_de", "owner_id", "revision"))


@pytest.fixture
def people(client_user, frontdesk, daily, servicedesk, servicedesk2, expert, rnd, sales):
    return {"client": client_user, "frontdesk": frontdesk, "daily": daily,
            "servicedesk": servicedesk, "servicedesk2": servicedesk2, "expert": expert,
            "rnd": rnd, "sales": sales}


@pytest.fixture
def admin_user(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.test", "demo")


# ------------------------------------------------------------------------- access

def test_every_url_for_every_role(client, people, walk):
    r = walk(S.IN_PROGRESS)
    reply = factories.make_canned_reply(people["servicedesk"], shared=True)
    urls = [LIST, NEW, edit_url(reply), delete_url(reply), pick_url(r), fill_url(r, reply)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    client.force_login(people["client"])
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, form()).status_code in (403, 405), url
    assert rows() == [("Accusé de réception", reply.body_fr, "", None, 1)]
    for role in ("frontdesk", "daily", "expert", "rnd", "servicedesk"):
        client.force_login(people[role])
        for url in (LIST, NEW, pick_url(r), fill_url(r, reply)):
            assert client.get(url).status_code == 200, (role, url)
        # A shared reply: changed by ServiceDesk (and administrators) only.
        expected = 200 if role == "servicedesk" else 403
        assert client.get(edit_url(reply)).status_code == expected, role
        assert client.get(delete_url(reply)).status_code == expected, role


def test_the_navigation_leads_to_the_page(client, people):
    client.force_login(people["expert"])
    html = client.get("/agent/").content.decode()
    assert f'href="{LIST}"' in html and "Réponses types" in html
    page = client.get(LIST).content.decode()
    assert re.search(rf'href="{LIST}" aria-current="page"', page)


def test_another_persons_reply_is_a_404_everywhere(client, people, walk):
    r = walk(S.IN_PROGRESS)
    theirs = factories.make_canned_reply(people["servicedesk2"], title="La sienne",
                                         body="Secret {{client.nom}}")
    client.force_login(people["servicedesk"])
    assert client.get(edit_url(theirs)).status_code == 404
    assert client.post(edit_url(theirs), form(revision=1)).status_code == 404
    assert client.get(delete_url(theirs)).status_code == 404
    assert client.post(delete_url(theirs), {"revision": 1}).status_code == 404
    response = client.get(fill_url(r, theirs))
    assert response.status_code == 404 and "Secret" not in response.content.decode()
    assert "La sienne" not in client.get(LIST).content.decode()
    assert "La sienne" not in client.get(pick_url(r)).content.decode()
    assert rows() == [("La sienne", "Secret {{client.nom}}", "", people["servicedesk2"].pk, 1)]
    assert client.get("/agent/canned-replies/999999/edit/").status_code == 404


def test_a_request_the_person_may_not_see_is_a_404(client, people, client_user):
    support = factories.make_request(client_user)
    reply = factories.make_canned_reply(people["sales"], body="Bonjour {{client.nom}}")
    client.force_login(people["sales"])
    assert client.get(pick_url(support)).status_code == 404
    response = client.get(fill_url(support, reply))
    assert response.status_code == 404
    assert client_user.last_name not in response.content.decode()
    licence = factories.make_licence(people["sales"], client_user)
    assert client.get(fill_url(licence, reply)).json()["body"] == (
        f"Bonjour {client_user.get_full_name()}")


@pytest.mark.parametrize("path", [
    "/agent/canned-replies/0/edit/", "/agent/canned-replies/-1/edit/",
    "/agent/canned-replies/1234567890/edit/", "/agent/canned-replies/%C2%B2/edit/",
    "/agent/canned-replies/x/delete/", "/agent/requests/SPT-1/canned-replies/99999999999/",
    "/agent/requests/nope/canned-replies/", "/agent/requests/SPT-%D9%A1/canned-replies/",
    "/agent/requests/SPT-99999999999/canned-replies/1/",
])
def test_hand_made_ids_are_a_404(client, people, path):
    client.force_login(people["servicedesk"])
    assert client.get(path).status_code == 404


# --------------------------------------------------------------- the list page

def test_the_list_shows_the_shared_and_ones_own_with_what_each_may_do(client, people):
    shared = factories.make_canned_reply(people["servicedesk"], title="Partagée commune",
                                         shared=True, de=("Geteilt", "Text"))
    mine = factories.make_canned_reply(people["frontdesk"], title="Ma réponse")
    client.force_login(people["frontdesk"])
    html = client.get(LIST).content.decode()
    assert "Partagée commune" in html and "Ma réponse" in html
    assert edit_url(mine) in html and edit_url(shared) not in html
    assert 'title="Deutsch">DE</abbr>' in html
    client.force_login(people["servicedesk"])
    html = client.get(LIST).content.decode()
    assert edit_url(shared) in html and "Ma réponse" not in html


def test_the_search_answers_htmx_with_the_results_only(client, people):
    factories.make_canned_reply(people["servicedesk"], title="Clôture confirmée")
    factories.make_canned_reply(people["servicedesk"], title="Demande d'informations")
    client.force_login(people["servicedesk"])
    response = client.get(LIST, {"q": "cloture"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="canned-reply-results")
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Target" in response["Vary"]
    assert html.startswith('<div id="canned-reply-results">')
    assert "Clôture confirmée" in html and "Demande d'informations" not in html
    assert "1 réponse type trouvée" in html and "<nav" not in html.split("canned-table")[0]
    full = client.get(LIST, {"q": "cloture", "scope": "shared"}).content.decode()
    assert "<html" in full and "Aucune réponse type ne correspond" in full


def test_bad_filters_are_a_400_with_the_reason(client, people):
    client.force_login(people["servicedesk"])
    response = client.get(LIST, {"q": "x" * 101, "scope": "everything"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Le formulaire contient 2 erreurs" in html


def test_the_list_is_paginated(client, people):
    for n in range(55):
        factories.make_canned_reply(people["servicedesk"], title=f"Réponse {n:02d}")
    client.force_login(people["servicedesk"])
    first = client.get(LIST).content.decode()
    assert "Réponse 49" in first and "Réponse 50" not in first and "Page 1 sur 2" in first
    second = client.get(LIST, {"page": "2"}).content.decode()
    assert "Réponse 54" in second
    assert client.get(LIST, {"page": "9" * 30}).status_code == 200


# ------------------------------------------------------------ create, edit, delete

def test_create_a_personal_reply(client, people):
    client.force_login(people["frontdesk"])
    page = client.get(NEW).content.decode()
    assert 'name="shared"' not in page and "Personnelle : vous seul" in page
    assert "{{client.prenom}}" in page  # the placeholders are listed
    response = client.post(NEW, form(de=("Eingang", "Hallo {{client.prenom}}"), shared="on"))
    assert response.status_code == 302 and response["Location"] == LIST
    # "shared" is not offered to FrontDesk: the reply is personal.
    assert rows() == [("Accusé de réception", "Bonjour {{client.prenom}}", "Eingang",
                       people["frontdesk"].pk, 1)]
    assert "enregistrée" in client.get(LIST).content.decode()


def test_servicedesk_creates_a_shared_reply(client, people):
    client.force_login(people["servicedesk"])
    assert 'name="shared"' in client.get(NEW).content.decode()
    assert client.post(NEW, form(shared="on")).status_code == 302
    assert rows()[0][3] is None


@pytest.mark.parametrize(("data", "message"), [
    (form(fr=("", "Texte")), "Ce champ est obligatoire"),
    (form(fr=("Titre", "")), "Ce champ est obligatoire"),
    (form(fr=("Titre", "Bonjour {{client.adresse}}")), "Champ inconnu : {{client.adresse}}"),
    (form(de=("Titel", "")), "Écrivez aussi le texte de cette langue"),
    (form(en=("", "Text")), "Donnez aussi le titre de cette langue"),
    (form(fr=("T" * 121, "Texte")), "120 caractères"),
    (form(fr=("Titre", "x" * 20001)), "20000 caractères"),
])
def test_bad_texts_are_a_400_on_their_field_and_write_nothing(client, people, data, message):
    client.force_login(people["servicedesk"])
    response = client.post(NEW, data)
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert rows() == []


def test_a_title_already_used_is_refused(client, people):
    factories.make_canned_reply(people["servicedesk"], title="Accusé de réception")
    client.force_login(people["servicedesk"])
    response = client.post(NEW, form())
    assert response.status_code == 400
    assert "porte déjà ce titre" in response.content.decode()
    assert len(rows()) == 1


def test_edit_keeps_the_form_filled_and_saves(client, people):
    reply = factories.make_canned_reply(people["servicedesk"], title="Ancien",
                                        en=("Old", "Old text"))
    client.force_login(people["servicedesk"])
    page = client.get(edit_url(reply)).content.decode()
    assert 'value="Ancien"' in page and "Old text" in page and 'name="revision" value="1"' in page
    response = client.post(edit_url(reply), form(fr=("Nouveau", "Texte"), revision=1))
    assert response.status_code == 302
    assert rows() == [("Nouveau", "Texte", "", people["servicedesk"].pk, 2)]


def test_an_edit_from_an_out_of_date_page_shows_both_versions(client, people):
    reply = factories.make_canned_reply(people["servicedesk"], title="Commune", shared=True)
    client.force_login(people["servicedesk2"])
    assert client.post(edit_url(reply), form(fr=("Commune", "Version de l'autre"),
                                             shared="on", revision=1)).status_code == 302
    client.force_login(people["servicedesk"])
    response = client.post(edit_url(reply), form(fr=("Commune", "Ma version"), shared="on",
                                                 revision=1))
    html = response.content.decode()
    assert response.status_code == 409
    assert "modifiée entre-temps" in html
    assert "Version de l&#x27;autre" in html and "Ma version" in html
    assert 'name="revision" value="2"' in html
    assert rows()[0][1] == "Version de l'autre"
    # Saved again knowing it: this version wins.
    assert client.post(edit_url(reply), form(fr=("Commune", "Ma version"), shared="on",
                                             revision=2)).status_code == 302
    assert rows()[0][1:] == ("Ma version", "", None, 3)


@pytest.mark.parametrize("revision", ["", "abc", "0", "-1", "²", "9" * 30])
def test_a_bad_revision_is_a_400(client, people, revision):
    reply = factories.make_canned_reply(people["servicedesk"], title="Titre")
    client.force_login(people["servicedesk"])
    assert client.post(edit_url(reply), form(revision=revision)).status_code == 400
    assert client.post(delete_url(reply), {"revision": revision}).status_code == 400
    assert rows() == [("Titre", reply.body_fr, "", people["servicedesk"].pk, 1)]


def test_a_shared_reply_is_refused_to_others_with_the_reason(client, people):
    reply = factories.make_canned_reply(people["servicedesk"], title="Commune", shared=True)
    client.force_login(people["daily"])
    for response in (client.get(edit_url(reply)),
                     client.post(edit_url(reply), form(revision=1)),
                     client.get(delete_url(reply)),
                     client.post(delete_url(reply), {"revision": 1})):
        assert response.status_code == 403
        assert "écrites par le ServiceDesk" in response.content.decode()
    assert rows() == [("Commune", reply.body_fr, "", None, 1)]


def test_delete_asks_then_deletes(client, people):
    reply = factories.make_canned_reply(people["frontdesk"], title="À supprimer")
    client.force_login(people["frontdesk"])
    page = client.get(delete_url(reply)).content.decode()
    assert "Supprimer la réponse type « À supprimer » ?" in page
    assert rows()  # a GET changes nothing
    response = client.post(delete_url(reply), {"revision": 1})
    assert response.status_code == 302 and rows() == []
    assert "supprimée" in client.get(LIST).content.decode()


def test_a_delete_from_an_out_of_date_page_is_a_409(client, people):
    reply = factories.make_canned_reply(people["servicedesk"], title="Titre")
    client.force_login(people["servicedesk"])
    client.post(edit_url(reply), form(fr=("Titre", "Neuf"), revision=1))
    response = client.post(delete_url(reply), {"revision": 1})
    assert response.status_code == 409 and "modifiée entre-temps" in response.content.decode()
    assert 'name="revision" value="2"' in response.content.decode()
    assert len(rows()) == 1


# ----------------------------------------------------- the request page's control

def test_the_request_page_offers_the_control_for_each_text_box(client, people, walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(people["servicedesk"])
    html = client.get(f"/agent/requests/{r.key}/").content.decode()
    assert 'data-canned-target="id_comment-body"' in html
    assert f'hx-get="/agent/requests/{r.key}/canned-replies/?picker=canned-id_comment-body"' in html
    ask = client.get(f"/agent/requests/{r.key}/forms/ask_customer/",
                     HTTP_HX_REQUEST="true").content.decode()
    assert 'data-canned-target="id_ask_customer-question"' in ask
    to_rnd = client.get(f"/agent/requests/{r.key}/forms/send_to_rnd/",
                        HTTP_HX_REQUEST="true").content.decode()
    assert 'data-canned-target="id_send_to_rnd-comment"' in to_rnd
    q = walk(S.QUALIFIED)
    client.force_login(people["daily"])
    start = client.get(f"/agent/requests/{q.key}/forms/start/",
                       HTTP_HX_REQUEST="true").content.decode()
    assert "data-canned-picker" not in start  # no text box in this form


def test_the_pick_lists_replies_filled_for_the_request(client, people, walk):
    r = walk(S.IN_PROGRESS)
    Profile.objects.filter(user=r.reporter).update(language="en")
    reply = factories.make_canned_reply(people["servicedesk"], title="Accusé",
                                        en=("Receipt", "Hello {{client.prenom}}"))
    factories.make_canned_reply(people["servicedesk"], title="Relance", shared=True,
                                body="Bonjour {{client.prenom}}, une relance.")
    client.force_login(people["servicedesk"])
    html = client.get(pick_url(r, picker="canned-id_comment-body")).content.decode()
    assert "Langue du client : English." in html
    assert f'data-canned-fill="{fill_url(r, reply)}"' in html
    preview = f'id="canned-id_comment-body-preview-{reply.pk}" lang="en">Hello '
    assert preview + r.reporter.first_name in html
    assert "en français" in html  # "Relance" has no English text
    narrowed = client.get(pick_url(r, q="relance")).content.decode()
    assert "Relance" in narrowed and "Accusé" not in narrowed
    none = client.get(pick_url(r, q="introuvable")).content.decode()
    assert "Aucune réponse type ne correspond" in none


def test_the_pick_refuses_bad_input_with_a_400(client, people, walk):
    r = walk(S.IN_PROGRESS)
    client.force_login(people["servicedesk"])
    response = client.get(pick_url(r, q="x" * 101))
    assert response.status_code == 400 and "100 caractères" in response.content.decode()
    assert client.get(pick_url(r, picker="<script>")).status_code == 400


def test_the_fill_answers_json(client, people, walk):
    r = walk(S.IN_PROGRESS)
    reply = factories.make_canned_reply(people["servicedesk"])
    client.force_login(people["servicedesk"])
    response = client.get(fill_url(r, reply))
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data == {
        "title": "Accusé de réception",
        "body": f"Bonjour {r.reporter.first_name},\n\nNous avons bien reçu {r.key}.\n\n"
                f"{people['servicedesk'].get_full_name()}",
        "language": "fr", "language_name": "Français", "translated": True}
    assert "private" in response["Cache-Control"]


def test_inserted_then_posted_it_is_an_ordinary_comment(client, people, walk):
    r = walk(S.IN_PROGRESS)
    reply = factories.make_canned_reply(people["servicedesk"])
    client.force_login(people["servicedesk"])
    body = client.get(fill_url(r, reply)).json()["body"]
    response = client.post(f"/agent/requests/{r.key}/comment/",
                           {"comment-body": body, "comment-visibility": "public"})
    assert response.status_code == 302
    assert r.comments.get().body == body.replace("\n", "\r\n") or r.comments.get().body == body


# -------------------------------------------------------------- query counts

def count_queries(client, url: str, **headers) -> int:
    client.get(url, **headers)  # the process's copy of the reference data
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200, url
    return len(captured)


def test_pages_run_the_same_queries_for_few_and_many_replies(client, people, walk):
    r = walk(S.IN_PROGRESS)
    sd = people["servicedesk"]
    for n in range(3):
        factories.make_canned_reply(sd, title=f"Peu {n}", shared=n % 2 == 0)
    client.force_login(sd)
    reply = CannedReply.objects.first()
    urls = [LIST, f"{LIST}?q=peu", pick_url(r), pick_url(r, q="peu"), fill_url(r, reply),
            edit_url(reply), delete_url(reply), NEW]
    few = {url: count_queries(client, url) for url in urls}
    for n in range(40):
        factories.make_canned_reply(sd, title=f"Beaucoup {n}", shared=n % 2 == 0,
                                    de=("Titel", "Text {{client.nom}}"))
        factories.make_canned_reply(people["servicedesk2"], title=f"Autre {n}")
    many = {url: count_queries(client, url) for url in urls}
    assert few == many
    # Session, person, profile and roles; then the replies and their count (plus what the
    # back office's navigation reads), or the request, its customer and the replies.
    assert many[LIST] <= 9, many
    assert many[pick_url(r)] <= 7 and many[fill_url(r, reply)] <= 7, many
    fragment = count_queries(client, LIST, HTTP_HX_REQUEST="true",
                             HTTP_HX_TARGET="canned-reply-results")
    assert fragment <= many[LIST]


def test_the_pick_lists_at_most_a_few(client, people, walk):
    r = walk(S.IN_PROGRESS)
    for n in range(PICK_LIMIT + 3):
        factories.make_canned_reply(people["servicedesk"], title=f"Réponse {n:02d}")
    client.force_login(people["servicedesk"])
    html = client.get(pick_url(r)).content.decode()
    assert html.count("data-canned-fill=") == PICK_LIMIT
    assert "précisez la recherche" in html


# ------------------------------------------------------------------ the admin

def test_the_admin_edits_per_language_with_the_same_rules(client, admin_user, servicedesk):
    client.force_login(admin_user)
    url = "/admin/requests_app/cannedreply/add/"
    page = client.get(url).content.decode()
    assert 'name="title_de"' in page and 'name="body_en"' in page
    data = {"title_fr": "Admin", "body_fr": "Bonjour {{client.inconnu}}", "title_de": "",
            "body_de": "", "title_en": "", "body_en": "", "owner": ""}
    response = client.post(url, data)
    assert response.status_code == 200 and "Champ inconnu" in response.content.decode()
    assert rows() == []
    data["body_fr"] = "Bonjour {{client.nom}}"
    data["owner"] = servicedesk.pk
    assert client.post(url, data).status_code == 302
    reply = CannedReply.objects.get()
    assert (reply.owner, reply.updated_by, reply.search_text) == (
        servicedesk, admin_user, "admin\nbonjour client nom")
    change = f"/admin/requests_app/cannedreply/{reply.pk}/change/"
    assert client.get(change).status_code == 200
    assert client.get("/admin/requests_app/cannedreply/?portee=shared").status_code == 200
    data.update(title_fr="Admin 2", owner="")
    assert client.post(change, data).status_code == 302
    reply.refresh_from_db()
    assert (reply.title_fr, reply.owner, reply.revision) == ("Admin 2", None, 2)
