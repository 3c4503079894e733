"""The customer portal (/portal/): every URL for every kind of visitor, the list's filters and
counts, creating requests, the request page and each of its actions, refusals with a clear
message and a 4xx, and a fixed number of SQL queries whatever the number of rows."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from requests_app import services
from requests_app.models import EventKind, NotificationMute, Participant, Request
from requests_app.selectors import portal
from requests_app.workflow import ConfirmationState
from requests_app.workflow import RequestStatus as S
from tests import factories

pytestmark = pytest.mark.django_db


def url(name: str, **kwargs) -> str:
    return reverse(f"portal:{name}", kwargs=kwargs)


def page_url(r: Request) -> str:
    return url("request", key=r.key)


def text(response) -> str:
    """The page's visible text, tags removed and spaces collapsed (for assertions)."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").split())


def listed_keys(response) -> list[str]:
    """The request keys of the list's rows, in order."""
    return re.findall(r'<span class="spt-ref">(SPT-\d+)</span>', response.content.decode())


def upload(name: str = "journal.txt", content: bytes = b"erreur 4512") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


@pytest.fixture
def logged_in(client, client_user):
    client.force_login(client_user)
    return client


def propose(servicedesk, r, text_="Paramètre corrigé ; merci de confirmer."):
    return services.request_propose_resolution(actor=servicedesk, request=r, resolution=text_)


# --- who may open the portal ---------------------------------------------------------------------

ACTION_NAMES = ["request_comment", "request_confirm", "request_deny", "request_mute",
                "request_unmute", "request_participant_add", "request_participant_remove",
                "request_withdraw"]


def test_anonymous_visitors_are_sent_to_login(client, client_user):
    r = factories.make_request(client_user)
    for target in [url("home"), url("request_new"), url("request_create", type_code="support"),
                   page_url(r)]:
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    for name in ACTION_NAMES:
        response = client.post(url(name, key=r.key))
        assert response.status_code == 302, name
    assert Request.objects.get(pk=r.pk).status == S.OPEN


def test_back_office_people_get_403_on_the_customer_portal(client, frontdesk, client_user):
    r = factories.make_request(client_user)
    client.force_login(frontdesk)
    assert client.get(url("home")).status_code == 403
    assert client.get(page_url(r)).status_code == 403
    assert client.post(url("request_comment", key=r.key), {"comment-body": "x"}).status_code \
        == 403
    assert not r.comments.exists()


def test_another_organisation_gets_404_for_the_page_every_action_and_attachments(
    client, client_user, outsider
):
    r = factories.make_request(client_user, attachments=[upload()])
    token = r.attachments.get().token
    client.force_login(outsider)
    assert client.get(page_url(r)).status_code == 404
    assert client.get(reverse("attachment", kwargs={"token": token})).status_code == 404
    for name in ACTION_NAMES:
        response = client.post(url(name, key=r.key), {"comment-body": "intrusion",
                                                        "withdraw-reason": "x"})
        assert response.status_code == 404, name
    assert client.get(url("request_new") + f"?follows_up={r.key}").status_code == 404
    r.refresh_from_db()
    assert r.status == S.OPEN and not r.comments.exists()
    assert listed_keys(client.get(url("home"))) == []


def test_unknown_or_malformed_keys_are_404(logged_in):
    for key in ["SPT-999", "999", "SPT-abc", "abc", "SPT-"]:
        assert logged_in.get(url("request", key=key)).status_code == 404, key


def test_actions_refuse_get_with_405_and_change_nothing(logged_in, client_user):
    r = factories.make_request(client_user)
    for name in ACTION_NAMES:
        response = logged_in.get(url(name, key=r.key))
        assert response.status_code == 405, name
        assert response["Allow"] == "POST"
        assert "utilisez les boutons" in text(response)
    assert not NotificationMute.objects.exists()
    assert Request.objects.get(pk=r.pk).status == S.OPEN


# --- Mes demandes ---------------------------------------------------------------------------------


def test_list_shows_what_the_person_may_see_and_nothing_else(
    logged_in, client_user, colleague, outsider
):
    mine = factories.make_request(client_user, title="Ma demande")
    shared = factories.make_request(colleague, title="Demande partagée")
    private = factories.make_request(colleague, title="Demande privée",
                                     shared_with_organisation=False)
    other = factories.make_request(outsider, title="Autre organisation")
    response = logged_in.get(url("home"))
    assert set(listed_keys(response)) == {mine.key, shared.key}
    assert private.key and other.key
    page = text(response)
    assert "Ma demande" in page and "Demande partagée" in page


def test_a_list_row_shows_the_request_as_the_customer_may_see_it(
    logged_in, client_user, colleague, servicedesk
):
    from datetime import timedelta

    from django.utils import timezone

    mine = factories.make_request(client_user, title="<img src=x onerror=alert(1)> & co",
                                  priority_code="high")
    colleague.first_name, colleague.last_name = "Léa", "<i>Rochat</i>"
    colleague.save()
    late = factories.make_request(colleague, priority_code="blocking",
                                  at=timezone.now() - timedelta(days=10))
    html = logged_in.get(url("home")).content.decode()
    rows = {key: html[html.rindex("<tr>", 0, html.index(f">{key}<")):] for key in
            (mine.key, late.key)}
    rows = {key: row[:row.index("</tr>")] for key, row in rows.items()}
    assert "<img" not in html and "<i>Rochat" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; co" in rows[mine.key]
    assert f'href="{page_url(mine)}"' in rows[mine.key]
    assert '<span class="badge-status badge-status-open">Ouvert</span>' in rows[mine.key]
    assert "Priorité Haute" in rows[mine.key] and "Dans les délais" in rows[mine.key]
    assert "par " not in rows[mine.key]  # one's own request
    # A colleague's request shared with the organisation: who opened it, and it is late.
    assert "par Léa &lt;i&gt;Rochat&lt;/i&gt;" in rows[late.key]
    assert '<span class="slo-badge slo-late">En retard</span>' in rows[late.key]
    local = timezone.localtime(Request.objects.get(pk=mine.pk).updated_at)
    assert f'<time datetime="{local.isoformat()}">{local:%d/%m/%Y %H:%M}</time>' in rows[mine.key]


def test_list_counts_per_status_follow_the_other_filters(logged_in, client_user, walk):
    factories.make_request(client_user, title="Alpha")
    factories.make_request(client_user, title="Beta")
    walk(S.IN_PROGRESS, title="Alpha gamma")
    walk(S.CLOSED, title="Delta")
    response = logged_in.get(url("home"))
    counts = dict(
        (label, int(n)) for label, n in
        re.findall(r'class="btn btn-sm[^"]*"[^>]*>\s*([^<]+?) <span class="badge[^"]*">(\d+)',
                   response.content.decode())
    )
    assert counts["Toutes"] == 4 and counts["Toutes les ouvertes"] == 3
    assert counts["Ouvert"] == 2 and counts["En cours"] == 1 and counts["Fermé"] == 1
    response = logged_in.get(url("home") + "?q=alpha&status=open")
    counts = dict(re.findall(r'>\s*([^<]+?) <span class="badge[^"]*">(\d+)',
                             response.content.decode()))
    assert counts["Toutes"] == "2" and counts["Ouvert"] == "1" and counts["En cours"] == "1"
    assert "1 demande" in text(response)


@pytest.mark.parametrize("query, expected", [
    ("status=open", {"open1", "open2", "colleague", "participating"}),
    ("state=open", {"open1", "open2", "started", "colleague", "participating"}),
    ("state=closed", {"closed"}),
    ("type=patch", {"open2"}),
    ("scope=mine", {"open1", "open2", "started", "closed"}),
    ("scope=colleagues", {"colleague"}),
    ("scope=participating", {"participating"}),
    ("q=Tolérance", {"open1"}),
    ("q=imprimante+bloquée", {"started"}),
    ("q=introuvable", set()),
])
def test_list_filters(logged_in, client_user, colleague, walk, query, expected):
    made = {
        "open1": factories.make_request(client_user, title="Tolérance de rapprochement"),
        "open2": factories.make_request(client_user, type_code="patch", title="Correctif",
                                        environment="test",
                                        details={"patch_reference": "24.1.3"}),
        "started": walk(S.IN_PROGRESS, title="Impression",
                        description="L'imprimante est bloquée."),
        "closed": walk(S.CLOSED, title="Ancienne"),
        "colleague": factories.make_request(colleague, title="Collègue"),
    }
    participating = factories.make_request(colleague, title="Participation",
                                           shared_with_organisation=False)
    services.participant_add(actor=colleague, request=participating, user=client_user)
    made["participating"] = participating
    keys = set(listed_keys(logged_in.get(url("home") + "?" + query)))
    shown = {name for name, r in made.items() if r.key in keys}
    assert shown == expected


def test_search_finds_a_request_by_key_with_or_without_prefix(logged_in, client_user):
    requests = [factories.make_request(client_user, title=f"Demande {name}",
                                       description="Sans chiffre.")
                for name in ("un", "deux", "trois")]
    target = requests[1]
    for q in [target.key, str(target.number), target.key.lower()]:
        response = logged_in.get(url("home"), {"q": q})
        assert listed_keys(response) == [target.key], q


def test_list_sorting_by_priority_and_age(logged_in, client_user):
    low = factories.make_request(client_user, priority_code="low", title="Basse")
    blocking = factories.make_request(client_user, priority_code="blocking", title="Bloquante")
    high = factories.make_request(client_user, priority_code="high", title="Haute")

    def order(sort):
        return listed_keys(logged_in.get(url("home"), {"sort": sort}))

    assert order("priority") == [blocking.key, high.key, low.key]
    assert order("oldest") == [low.key, blocking.key, high.key]
    assert order("newest") == [high.key, blocking.key, low.key]


def test_invalid_filters_are_400_with_the_reason(logged_in, client_user):
    factories.make_request(client_user)
    response = logged_in.get(url("home"), {"status": "bogus", "sort": "nope"})
    assert response.status_code == 400
    page = text(response)
    assert "Le formulaire contient 2 erreurs" in page
    assert "Sélectionnez un choix valide" in page
    assert listed_keys(response) == []


def test_invalid_page_number_is_404(logged_in, client_user):
    factories.make_request(client_user)
    assert logged_in.get(url("home"), {"page": "abc"}).status_code == 404
    assert logged_in.get(url("home"), {"page": "7"}).status_code == 404


def test_empty_list_invites_to_open_a_request(logged_in):
    page = text(logged_in.get(url("home")))
    assert "Vous n'avez encore aucune demande." in page


def test_list_paginates(logged_in, client_user):
    for i in range(27):
        factories.make_request(client_user, title=f"Demande {i}")
    first = text(logged_in.get(url("home")))
    assert "Page 1 sur 2 (27 éléments)" in first
    second = logged_in.get(url("home"), {"page": 2})
    assert second.status_code == 200 and listed_keys(second) == ["SPT-2", "SPT-1"]


def queries_for(client, target: str) -> list[str]:
    client.get(target)  # the process's copy of the reference data, read on first use
    with CaptureQueriesContext(connection) as captured:
        response = client.get(target)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def make_list_requests(count, client_user, colleague, start=0):
    for i in range(start, start + count):
        author = client_user if i % 2 else colleague
        factories.make_request(author, title=f"Demande {i}",
                               type_code="support" if i % 3 else "patch")


def test_list_runs_the_same_queries_with_5_and_50_requests(logged_in, client_user, colleague):
    target = url("home") + "?sort=priority&q=Demande"
    make_list_requests(5, client_user, colleague)
    with_5 = queries_for(logged_in, target)
    make_list_requests(45, client_user, colleague, start=5)
    with_50 = queries_for(logged_in, target)
    # session, user, profile, groups, counts per status (the total and the pages come from
    # them: no other COUNT), the page's first rows from each of the access rule's three parts,
    # the page's rows by key, SLO clocks of the page, type filter options: 11. With a search,
    # what it found is read once (each part through its indexes) and counted and ordered from
    # those rows: no COUNT at all (and, on PostgreSQL, one query completes the last word).
    assert len(with_5) == len(with_50) <= 11, with_50
    assert not [q for q in with_50 if "COUNT(" in q.upper()]
    unsearched = queries_for(logged_in, url("home") + "?sort=priority")
    counting = [q for q in unsearched if "COUNT(" in q.upper()]
    assert len(counting) == 1 and "GROUP BY" in counting[0].upper()


# --- Nouvelle demande --------------------------------------------------------------------------


def test_choose_page_offers_support_and_patch_never_licence(logged_in):
    response = logged_in.get(url("request_new"))
    page = text(response)
    assert response.status_code == 200
    assert "Ouvrir une demande Support" in page and "Ouvrir une demande Patch" in page
    assert "Ouvrir une demande Licence" not in page
    assert url("request_create", type_code="licence") not in response.content.decode()


def test_licence_form_is_refused_with_the_reason_and_unknown_types_are_404(logged_in):
    response = logged_in.get(url("request_create", type_code="licence"))
    assert response.status_code == 403
    assert "l'administration des ventes l'effectue en votre nom" in text(response)
    response = logged_in.post(url("request_create", type_code="licence"),
                              {"title": "Clé", "description": "x"})
    assert response.status_code == 403
    assert not Request.objects.exists()
    assert logged_in.get(url("request_create", type_code="nope")).status_code == 404


def test_support_form_shows_each_priority_with_its_meaning_and_shares_by_default(logged_in):
    response = logged_in.get(url("request_create", type_code="support"))
    page = text(response)
    for name, meaning in [
        ("Bloquante", "Processus vital pour l'entreprise bloqué et non contournable"),
        ("Haute", "Processus vital bloqué, risque de perte de chiffre d'affaires dans l'immédiat"),
        ("Moyenne", "Difficilement contournable et coûteux"),
        ("Basse", "Facilement contournable ou confort"),
    ]:
        assert f"{name} {meaning}" in page
    html = response.content.decode()
    assert re.search(r'<input type="checkbox" name="shared_with_organisation"[^>]*checked', html)
    assert re.search(r'<input type="file" name="attachments"[^>]*multiple', html)
    for label in ["Module ERP", "Version", "Environnement"]:
        assert label in page
    assert "Référence du correctif" not in page


def support_data(**overrides):
    from requests_app.models import ErpModule, Priority

    data = {
        "title": "La clôture mensuelle échoue",
        "description": "Erreur **4512** à la validation.",
        "priority": Priority.objects.get(code="high").pk,
        "module": ErpModule.objects.get(code="finance").pk,
        "version": "24.1",
        "environment": "production",
        "shared_with_organisation": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_create_a_support_request_with_attachments(logged_in, client_user):
    data = support_data(attachments=[upload("journal.txt"), upload("capture.png", b"\x89PNG")])
    response = logged_in.post(url("request_create", type_code="support"), data)
    r = Request.objects.get()
    assert response.status_code == 302 and response["Location"] == page_url(r)
    assert (r.reporter, r.created_by) == (client_user, client_user)
    assert r.priority.code == "high" and r.module.code == "finance"
    assert (r.version, r.environment, r.shared_with_organisation) == ("24.1", "production", True)
    assert sorted(a.original_name for a in r.attachments.all()) == ["capture.png", "journal.txt"]
    page = logged_in.get(response["Location"])
    assert f"Votre demande {r.key} a été envoyée" in text(page)
    assert "<strong>4512</strong>" in page.content.decode()


def test_create_a_patch_request_keeps_its_own_fields_in_details(logged_in):
    from requests_app.models import Priority

    response = logged_in.post(url("request_create", type_code="patch"), {
        "title": "Appliquer le correctif", "description": "En test d'abord.",
        "priority": Priority.objects.get(code="low").pk, "environment": "test",
        "time_window": "Samedi 8 h – 12 h", "patch_reference": "24.1.3",
    })
    assert response.status_code == 302
    r = Request.objects.get()
    assert r.request_type.code == "patch" and r.environment == "test"
    assert r.details == {"time_window": "Samedi 8 h – 12 h", "patch_reference": "24.1.3"}
    assert r.shared_with_organisation is False  # an unchecked box is a "no"
    page = text(logged_in.get(page_url(r)))
    assert "Référence du correctif 24.1.3" in page
    assert "Fenêtre d'application souhaitée Samedi 8 h – 12 h" in page


def test_invalid_creation_is_400_with_each_error_and_writes_nothing(logged_in):
    response = logged_in.post(url("request_create", type_code="support"),
                              support_data(title="", module=None, environment="mars"))
    assert response.status_code == 400
    page = text(response)
    assert "Le formulaire contient 3 erreurs" in page
    assert "Ce champ est obligatoire." in page
    assert "Sélectionnez un choix valide" in page
    assert not Request.objects.exists()


@override_settings(ATTACHMENT_MAX_BYTES=1024, ATTACHMENT_MAX_FILES=2)
@pytest.mark.parametrize("files, message", [
    ([("virus.exe", b"MZ")], "« virus.exe » : type de fichier non accepté"),
    ([("gros.pdf", b"x" * 2048)], "« gros.pdf » dépasse la taille maximale"),
    ([("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c")], "Au plus 2 fichiers par envoi."),
    ([("vide.txt", b"")], "« vide.txt » est vide."),
])
def test_attachment_limits_are_clear_400s(logged_in, files, message):
    data = support_data(attachments=[upload(name, content) for name, content in files])
    response = logged_in.post(url("request_create", type_code="support"), data)
    assert response.status_code == 400
    assert message in text(response)
    assert not Request.objects.exists()


def test_follow_up_of_a_closed_request(logged_in, client_user, walk):
    closed = walk(S.CLOSED)
    page = text(logged_in.get(page_url(closed)))
    assert "Créer une demande de suivi" in page
    form_url = url("request_create", type_code="support") + f"?follows_up={closed.key}"
    assert form_url in logged_in.get(page_url(closed)).content.decode()
    form = logged_in.get(form_url)
    assert form.status_code == 200 and f"Demande de suivi de {closed.key}" in text(form)
    response = logged_in.post(form_url, support_data(title="Le problème revient"))
    follow_up = Request.objects.get(title="Le problème revient")
    assert response.status_code == 302 and follow_up.follows_up == closed
    assert f"Cette demande fait suite à {closed.key}" in text(logged_in.get(page_url(follow_up)))
    assert f"Demandes de suivi : {follow_up.key}" in text(logged_in.get(page_url(closed)))


def test_follow_up_of_an_open_request_is_refused(logged_in, client_user):
    r = factories.make_request(client_user)
    response = logged_in.get(url("request_create", type_code="support")
                              + f"?follows_up={r.key}")
    assert response.status_code == 400
    assert "est encore ouverte" in text(response)
    response = logged_in.post(url("request_create", type_code="support")
                              + f"?follows_up={r.key}", support_data())
    assert response.status_code == 400
    assert Request.objects.count() == 1


# --- the request page -----------------------------------------------------------------------------


def test_request_page_shows_the_ten_elements(logged_in, client_user, walk, servicedesk):
    r = walk(S.IN_PROGRESS, attachments=[upload()])
    services.comment_add(actor=servicedesk, request=r, body="Nous regardons.")
    response = logged_in.get(page_url(r))
    assert response.status_code == 200
    page = text(response)
    for label in [
        f"Numéro {r.key}", "Description", "Support (Assistance)", "Détails de qualification",
        "Ajouter un commentaire", "Historique de l'activité", "Statut",
        "Traitement attendu par Customer Service (ServiceDesk)",
        "Nous travaillons à répondre à votre demande",
        "Désactiver les notifications pour cette demande", "Personnes impliquées",
        "Création / modification", "Qualifiée par", "Module Finance", "Version 24.1",
        "Environnement Production", "Pièces jointes", "journal.txt", "Nous regardons.",
    ]:
        assert label in page, label
    # Newest first.
    assert page.index("a commenté") < page.index("Vous avez créé la demande")


def test_history_never_shows_internal_notes_or_internal_attachments(
    logged_in, walk, servicedesk
):
    r = walk(S.IN_PROGRESS)
    services.comment_add(actor=servicedesk, request=r, body="SECRET interne", is_internal=True,
                         attachments=[upload("interne.txt")])
    services.request_escalate_to_expert(actor=servicedesk, request=r, note="NOTE experte")
    html = logged_in.get(page_url(r)).content.decode()
    assert "SECRET" not in html and "NOTE experte" not in html and "interne.txt" not in html
    assert "En attente triage" in html
    internal = r.attachments.get(original_name="interne.txt")
    assert logged_in.get(reverse("attachment", kwargs={"token": internal.token})).status_code \
        == 404


def test_descriptions_and_comments_are_sanitised_markdown(logged_in, client_user):
    r = factories.make_request(
        client_user,
        description='<script>alert(1)</script> [lien](javascript:alert(2)) '
                    '[doc](https://example.test/doc) <img src=x onerror=alert(3)>',
    )
    html = logged_in.get(page_url(r)).content.decode()
    assert "<script>alert(1)" not in html and "onerror" not in html.split("<main")[1].replace(
        "onerror=alert(3)&gt;", "")
    assert 'href="javascript' not in html
    assert ('<a href="https://example.test/doc" rel="noopener noreferrer nofollow">doc</a>'
            in html)


def test_created_on_behalf_says_by_whom_and_for_whom(
    client, logged_in, client_user, colleague, sales
):
    from requests_app.models import Organisation

    r = services.request_create(
        actor=sales, request_type=factories.request_type("licence"), title="Clé 2027",
        description="Renouvellement.", priority=factories.priority(),
        organisation=Organisation.objects.get(name="Horlogerie du Jura SA"),
        reporter=client_user, details={"modules": "Finance", "users": 25},
    )
    page = text(logged_in.get(page_url(r)))
    assert f"créée par {sales.get_full_name()} pour votre compte" in page
    assert "Nombre d'utilisateurs 25" in page
    client.force_login(colleague)
    page = text(client.get(page_url(r)))
    assert (f"créée par {sales.get_full_name()} pour le compte de "
            f"{client_user.get_full_name()}") in page


def test_request_page_runs_the_same_queries_with_2_and_40_comments(
    logged_in, client_user, colleague, walk, servicedesk
):
    r = walk(S.IN_PROGRESS, attachments=[upload()])
    services.participant_add(actor=client_user, request=r, user=colleague)

    def comment(i):
        author = servicedesk if i % 2 else client_user
        services.comment_add(actor=author, request=r, body=f"Commentaire {i}",
                             attachments=[upload(f"f{i}.txt")] if i % 5 == 0 else [])

    for i in range(2):
        comment(i)
    with_2 = queries_for(logged_in, page_url(r))
    for i in range(2, 40):
        comment(i)
    with_40 = queries_for(logged_in, page_url(r))
    # user, profile, groups, the request (with whether it is muted and followed up: no
    # follow-ups here, so no list of them), attachments, participants, history, the people
    # they all name, SLO clocks, colleagues for the participant form: 10, and the session's
    # read unless the cache holds it (cached_db sessions, with Redis).
    def page(queries: list[str]) -> list[str]:
        return [sql for sql in queries if "django_session" not in sql]

    assert len(page(with_2)) == len(page(with_40)) == 10, with_40
    assert len(with_40) - len(page(with_40)) <= 1
    assert "Commentaire 39" in text(logged_in.get(page_url(r)))


# --- actions -------------------------------------------------------------------------------------


def test_comment_with_attachment(logged_in, client_user, walk):
    r = walk(S.IN_PROGRESS)
    response = logged_in.post(url("request_comment", key=r.key), {
        "comment-body": "Voici le journal.", "comment-attachments": [upload("log.txt")],
    })
    assert response.status_code == 302
    assert response["Location"] == page_url(r) + "#historique"
    comment = r.comments.get(author=client_user)
    assert comment.body == "Voici le journal."
    assert comment.attachments.get().original_name == "log.txt"
    page = text(logged_in.get(page_url(r)))
    assert "Votre commentaire a été ajouté." in page and "log.txt" in page


def test_empty_comment_is_400(logged_in, walk):
    r = walk(S.IN_PROGRESS)
    response = logged_in.post(url("request_comment", key=r.key), {"comment-body": "  "})
    assert response.status_code == 400
    assert "Écrivez un commentaire ou joignez un fichier." in text(response)
    assert not r.comments.filter(is_internal=False).exclude(author__groups__isnull=False)\
        .exists()


def test_answering_a_question_sends_the_request_back_to_en_cours(logged_in, walk):
    r = walk(S.AWAITING_CUSTOMER)
    page = text(logged_in.get(page_url(r)))
    assert "Le Customer Service attend votre réponse" in page
    assert "Traitement attendu par : Le client (vous)" in page
    response = logged_in.post(url("request_comment", key=r.key),
                              {"comment-body": "La version est 24.1.2."})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.status == S.IN_PROGRESS
    assert "de nouveau traitée par le Customer Service" in text(logged_in.get(page_url(r)))


def test_a_closed_request_is_read_only_and_refuses_comments_with_409(logged_in, walk):
    r = walk(S.CLOSED)
    response = logged_in.get(page_url(r))
    page = text(response)
    assert "Demande fermée" in page and "Fermé" in page and "Retirée" in page
    assert "Ajouter un commentaire" not in page
    assert 'name="comment-body"' not in response.content.decode()
    assert 'name="withdraw-reason"' not in response.content.decode()
    assert "Ajouter aux participants" not in page
    response = logged_in.post(url("request_comment", key=r.key), {"comment-body": "Encore ?"})
    assert response.status_code == 409
    assert "est fermée : elle ne peut plus être modifiée" in text(response)
    response = logged_in.post(url("request_withdraw", key=r.key), {"withdraw-reason": "x"})
    assert response.status_code == 409
    assert r.comments.count() == 1  # the withdrawal reason only


def test_resolution_banner_then_deny_then_confirm(logged_in, walk, servicedesk):
    r = walk(S.IN_PROGRESS)
    propose(servicedesk, r, "Le paramètre **tolérance** est corrigé.")
    response = logged_in.get(page_url(r))
    page = text(response)
    assert "Une résolution vous est proposée" in page
    assert "Le paramètre tolérance est corrigé." in page
    assert "Confirmer la résolution" in page and "La solution ne convient pas" in page

    response = logged_in.post(url("request_deny", key=r.key), {"deny-body": " "})
    assert response.status_code == 400
    assert "Expliquez pourquoi la solution ne convient pas." in text(response)
    r.refresh_from_db()
    assert r.status == S.AWAITING_CUSTOMER

    response = logged_in.post(url("request_deny", key=r.key),
                              {"deny-body": "Toujours l'erreur 4512."})
    assert response.status_code == 302
    r.refresh_from_db()
    assert (r.status, r.confirmation_state) == (S.IN_PROGRESS, ConfirmationState.DENIED)
    page = text(logged_in.get(page_url(r)))
    assert "Vous avez indiqué que la solution ne convient pas" in page
    assert page.count("Toujours l'erreur 4512.") == 1

    propose(servicedesk, r, "Deuxième essai.")
    response = logged_in.post(url("request_confirm", key=r.key), {"confirm-body": ""})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.confirmation_state == ConfirmationState.CONFIRMED
    page = text(logged_in.get(page_url(r)))
    assert "Confirmation reçue" in page
    assert "La clôture de la demande est entre les mains du Customer Service" in page
    assert "Customer Service (clôture de la demande)" in page
    assert "Le client (vous)" not in page
    assert "Nous attendons votre réponse" not in page
    assert "Confirmer la résolution" not in page
    # The status no longer reads as a wait for the client, on the page and in the list.
    badge = ('<span class="badge-status badge-status-confirmed">Confirmée — clôture par le '
             'Customer Service</span>')
    html = logged_in.get(page_url(r)).content.decode()
    assert html.count(badge) == 2  # under the title and in the status panel
    listed = logged_in.get(url("home")).content.decode()
    row = listed[listed.rindex("<tr>", 0, listed.index(f">{r.key}<")):]
    assert badge in row[:row.index("</tr>")]

    # A second answer is refused with the reason.
    response = logged_in.post(url("request_confirm", key=r.key), {"confirm-body": ""})
    assert response.status_code == 409
    assert "Aucune résolution n'attend votre confirmation." in text(response)


def test_a_colleague_who_only_sees_a_shared_request_cannot_answer_the_confirmation(
    client, walk, servicedesk, colleague
):
    r = walk(S.IN_PROGRESS)
    propose(servicedesk, r)
    client.force_login(colleague)
    page = text(client.get(page_url(r)))
    assert "Le demandeur ou un participant confirme ou refuse" in page
    response = client.post(url("request_confirm", key=r.key), {"confirm-body": ""})
    assert response.status_code == 403
    assert "Seuls le demandeur et les participants" in text(response)


def test_mute_and_unmute(logged_in, client_user):
    r = factories.make_request(client_user)
    response = logged_in.post(url("request_mute", key=r.key))
    assert response.status_code == 302
    assert NotificationMute.objects.filter(request=r, user=client_user).exists()
    page = text(logged_in.get(page_url(r)))
    assert "Vous ne recevez plus d'e-mail pour cette demande" in page
    assert "Réactiver les notifications" in page
    assert logged_in.post(url("request_unmute", key=r.key)).status_code == 302
    assert not NotificationMute.objects.exists()
    page = text(logged_in.get(page_url(r)))
    assert "Désactiver les notifications pour cette demande" in page


def test_reporter_adds_and_removes_a_colleague(logged_in, client_user, colleague, outsider):
    r = factories.make_request(client_user, shared_with_organisation=False)
    html = logged_in.get(page_url(r)).content.decode()
    assert f'<option value="{colleague.pk}">' in html
    assert f'<option value="{outsider.pk}">' not in html
    response = logged_in.post(url("request_participant_add", key=r.key),
                              {"participant-user": colleague.pk})
    assert response.status_code == 302
    assert Participant.objects.filter(request=r, user=colleague).exists()
    page = text(logged_in.get(page_url(r)))
    assert f"{colleague.get_full_name()} participe maintenant à la demande." in page

    response = logged_in.post(url("request_participant_add", key=r.key),
                              {"participant-user": outsider.pk})
    assert response.status_code == 400
    assert "Cette personne ne peut pas être ajoutée." in text(response)

    response = logged_in.post(url("request_participant_remove", key=r.key),
                              {"remove-user": colleague.pk})
    assert response.status_code == 302
    assert not Participant.objects.exists()


def test_a_participant_leaves_a_private_request_and_lands_on_the_list(
    client, client_user, colleague
):
    r = factories.make_request(client_user, shared_with_organisation=False)
    services.participant_add(actor=client_user, request=r, user=colleague)
    client.force_login(colleague)
    page = client.get(page_url(r)).content.decode()
    assert "Ne plus participer" in page and 'name="participant-user"' not in page
    response = client.post(url("request_participant_remove", key=r.key),
                           {"remove-user": colleague.pk})
    assert response.status_code == 302 and response["Location"] == url("home")
    assert client.get(page_url(r)).status_code == 404


def test_only_the_reporter_adds_participants(client, client_user, colleague):
    r = factories.make_request(client_user)
    third = factories.make_client(client_user.profile.organisation, "client3")
    client.force_login(colleague)
    assert 'name="participant-user"' not in client.get(page_url(r)).content.decode()
    response = client.post(url("request_participant_add", key=r.key),
                           {"participant-user": third.pk})
    assert response.status_code == 403
    assert "Seul le demandeur peut ajouter des participants." in text(response)


def test_reporter_withdraws_with_a_reason(logged_in, client_user):
    r = factories.make_request(client_user)
    response = logged_in.post(url("request_withdraw", key=r.key), {"withdraw-reason": ""})
    assert response.status_code == 400
    assert "Indiquez pourquoi vous retirez la demande." in text(response)
    assert re.search(r"<details[^>]*open", response.content.decode())
    response = logged_in.post(url("request_withdraw", key=r.key),
                              {"withdraw-reason": "Réglé entre-temps."})
    assert response.status_code == 302
    r.refresh_from_db()
    assert (r.status, r.resolution) == (S.CLOSED, "withdrawn")
    page = text(logged_in.get(page_url(r)))
    assert "Votre demande a été retirée et fermée." in page
    assert "Réglé entre-temps." in page


def test_only_the_reporter_may_withdraw(client, client_user, colleague):
    r = factories.make_request(client_user)
    client.force_login(colleague)
    assert "Retirer ma demande" not in text(client.get(page_url(r)))
    response = client.post(url("request_withdraw", key=r.key), {"withdraw-reason": "Non."})
    assert response.status_code == 403
    r.refresh_from_db()
    assert r.status == S.OPEN


def test_attachments_are_downloads_for_those_who_see_the_request(logged_in, client_user):
    r = factories.make_request(client_user, attachments=[upload("page.txt", b"<script>x</script>")])
    attachment = r.attachments.get()
    response = logged_in.get(reverse("attachment", kwargs={"token": attachment.token}))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_history_lines_for_people_and_mute_are_personal(
    client, logged_in, client_user, colleague
):
    r = factories.make_request(client_user)
    services.participant_add(actor=client_user, request=r, user=colleague)
    services.notifications_mute_set(actor=colleague, request=r, muted=True)
    page = text(logged_in.get(page_url(r)))
    assert f"Vous avez ajouté {colleague.get_full_name()} aux participants" in page
    assert "désactivé ses notifications" not in page
    client.force_login(colleague)
    assert "Vous avez désactivé vos notifications" in text(client.get(page_url(r)))
    assert r.events.filter(kind=EventKind.MUTED).exists()


# --- presentation helpers (requests_app.markdown, templatetags/spt) --------------------------


def test_markdown_is_rendered_then_sanitised():
    from requests_app.markdown import render_markdown

    html = render_markdown(
        "# Titre\n\n**gras** <b onclick=x>brut</b> [x](javascript:alert(1)) "
        "[doc](https://example.test) ![logo](https://tracker.example/pixel.png)\n"
        "ligne 2\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h3>Titre</h3>" in html  # never outranks the page's headings
    assert "<strong>gras</strong>" in html
    assert "&lt;b onclick=x&gt;brut&lt;/b&gt;" in html  # raw HTML is text
    assert "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert '<a href="https://example.test" rel="noopener noreferrer nofollow">doc</a>' in html
    assert "<img" not in html
    assert ('<a href="https://tracker.example/pixel.png" rel="noopener noreferrer nofollow">'
            "logo</a>") in html
    assert "gras" in html and "<br>" in html and "<td>1</td>" in html
    assert render_markdown("") == "" and render_markdown(None) == ""


def test_template_helpers(client_user, walk, servicedesk):
    from django.template import Context, Template

    r = walk(S.IN_PROGRESS)
    propose(servicedesk, r)
    services.resolution_confirm(actor=client_user, request=r)
    r = Request.objects.get(pk=r.pk)
    rendered = Template(
        "{% load spt %}{{ 12|spt_key }}|{{ r|spt_key }}|{% status_badge r %}|"
        "{{ r|expected_by }}|{{ 'open'|expected_by }}|{{ 'closed'|status_label }}|"
        "{{ r|status_meaning }}|{{ r.reporter|person:viewer }}|{{ nobody|person }}|"
        "{{ '**x**'|markdown }}"
    ).render(Context({"r": r, "viewer": client_user, "nobody": None}))
    assert [part.strip() for part in rendered.split("|")] == [
        "SPT-12", r.key,
        '<span class="badge-status badge-status-awaiting_customer">En attente client</span>',
        "Customer Service (clôture de la demande)", "Customer Service (FrontDesk)", "Fermé",
        "La résolution a été confirmée ; le Customer Service va clore la demande", "vous", "—",
        "<p><strong>x</strong></p>",
    ]


def test_a_long_history_shows_its_latest_lines_then_the_older_ones_on_demand(
        logged_in, client_user, servicedesk):
    """Beyond HISTORY_PAGE lines the page shows the latest ones and "Afficher les plus
    anciennes"; the button's URL gives the older lines alone to htmx, a page of them without
    script; the page runs the same queries with 40 comments as with 5."""
    from requests_app.selectors.portal import HISTORY_PAGE

    r = factories.make_request(client_user, title="Longue histoire")
    for index in range(4):
        services.comment_add(actor=client_user, request=r, body=f"Relance numéro {index}")
    few = queries_for(logged_in, page_url(r))
    for index in range(4, 40):
        services.comment_add(actor=client_user, request=r, body=f"Relance numéro {index}")
    many = queries_for(logged_in, page_url(r))
    assert len(few) == len(many)

    html = logged_in.get(page_url(r)).content.decode()
    page = text(logged_in.get(page_url(r)))
    assert "Relance numéro 39" in page and "Relance numéro 0 " not in page
    assert html.count('class="timeline-item ') == HISTORY_PAGE
    more = re.search(r'href="([^"]+\?before=(\d+))#historique"', html)
    assert more and "Afficher les plus anciennes" in page
    older = logged_in.get(more.group(1), HTTP_HX_REQUEST="true")
    body = older.content.decode()
    assert older.status_code == 200 and "<html" not in body  # the lines alone
    assert "Relance numéro 0<" in body and "Relance numéro 39" not in body
    assert "avez créé la demande" in body and "Afficher les plus anciennes" not in body
    without_script = text(logged_in.get(more.group(1)))
    assert "Relance numéro 0" in without_script and "Revenir aux plus récentes" in without_script


@pytest.mark.parametrize("before", ["abc", "²", "-1", "99999999999", "0"])
def test_a_history_page_that_does_not_exist_is_a_404(logged_in, client_user, before):
    r = factories.make_request(client_user)
    response = logged_in.get(page_url(r), {"before": before})
    assert response.status_code == 404


def banner_of(html: str) -> str:
    start = html.index('id="repondre"')
    return html[start:html.index("</section>", start)]


def test_the_awaiting_banner_quotes_the_question_with_the_reply_box_under_it(
        logged_in, walk, servicedesk):
    r = walk(S.AWAITING_CUSTOMER)  # asked "Quelle version exactement ?"
    banner = banner_of(logged_in.get(page_url(r)).content.decode())
    assert "Quelle version exactement ?" in banner
    assert servicedesk.get_full_name() in banner
    assert 'name="comment-body"' in banner and "Envoyer la réponse" in banner
    html = logged_in.get(page_url(r)).content.decode()
    assert html.count('name="comment-body"') == 1  # the one reply box, in the banner
    assert 'id="commentaire"' not in html

    # A later public comment of the back office is what the client answers now, even once
    # beyond the history lines the page shows.
    services.comment_add(actor=servicedesk, request=r, body="Et le numéro de *build* ?")
    for index in range(portal.HISTORY_PAGE + 2):
        services.comment_add(actor=servicedesk, request=r, body=f"Note {index}",
                             is_internal=True)
    banner = banner_of(logged_in.get(page_url(r)).content.decode())
    assert "Et le numéro de <em>build</em> ?" in banner
    assert "Quelle version" not in banner and "Note " not in banner

    response = logged_in.post(url("request_comment", key=r.key), {"comment-body": "24.1.3"})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.status == S.IN_PROGRESS
    assert 'id="repondre"' not in logged_in.get(page_url(r)).content.decode()


def test_a_colleague_who_may_not_answer_reads_the_question_without_the_reply_box(
        client, walk, colleague):
    r = walk(S.AWAITING_CUSTOMER)  # shared with the organisation, as every request by default
    client.force_login(colleague)
    banner = banner_of(client.get(page_url(r)).content.decode())
    assert "Quelle version exactement ?" in banner
    assert 'name="comment-body"' not in banner
    assert "Le demandeur ou un participant répond au Customer Service." in banner


def test_a_follow_up_starts_from_the_closed_request(logged_in, client_user, walk, servicedesk):
    r = walk(S.IN_PROGRESS, priority_code="high")  # qualified: Finance, 24.1, Production
    services.request_close_escalated(actor=servicedesk, request=r, reason="Traité hors SPT.")
    closed = Request.objects.get(pk=r.pk)
    form_url = url("request_create", type_code="support") + f"?follows_up={closed.key}"
    html = logged_in.get(form_url).content.decode()
    assert re.search(r'<input type="text" name="title" value="Suite de '
                     + re.escape(f"{closed.key} : {closed.title}") + '"', html)
    assert re.search(rf'name="priority" value="{closed.priority_id}"[^>]*checked', html)
    assert f'<option value="{closed.module_id}" selected>Finance</option>' in html
    assert re.search(r'<input type="text" name="version" value="24.1"', html)
    assert re.search(r'name="environment" value="production"[^>]*checked', html)
    # Without a request to follow, the form starts empty (Moyenne).
    empty = logged_in.get(url("request_create", type_code="support")).content.decode()
    assert 'name="title" value=' not in empty and "Suite de" not in empty
