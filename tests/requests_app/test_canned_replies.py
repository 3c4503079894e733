"""Canned replies ("réponses types"): the rules of their texts, their placeholders filled for a
request and an agent in the customer's language, who sees and who writes which, and the
refusals (each a typed error, nothing written)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from requests_app import services
from requests_app.canned_replies import (
    PLACEHOLDERS,
    CannedReplyTexts,
    canned_reply_search_text,
    canned_reply_texts_check,
    placeholders_unknown,
)
from requests_app.exceptions import (
    CannedReplyNotFound,
    InvalidInput,
    PermissionDenied,
    RequestNotFound,
    StaleRequest,
)
from requests_app.models import CannedReply, Profile
from requests_app.selectors.canned_replies import (
    PICK_LIMIT,
    Scope,
    canned_reply_filled,
    canned_reply_get_for_user,
    canned_reply_list_for_user,
    canned_reply_pick,
)
from requests_app.services.canned_replies import (
    canned_reply_create,
    canned_reply_delete,
    canned_reply_update,
)
from tests import factories

pytestmark = pytest.mark.django_db

FR_ONLY = {"fr": "", "de": "", "en": ""}


def texts(fr: tuple[str, str], de: tuple[str, str] = ("", ""), en: tuple[str, str] = ("", "")):
    return {"titles": {"fr": fr[0], "de": de[0], "en": en[0]},
            "bodies": {"fr": fr[1], "de": de[1], "en": en[1]}}


@pytest.fixture
def admin_user(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.test", "demo")


# ----------------------------------------------------------------- the texts' rules

def check(**kwargs):
    return canned_reply_texts_check(**texts(**kwargs), body_max_length=200)


def test_texts_are_trimmed_and_line_breaks_made_one_kind():
    checked = check(fr=("  Accusé   de réception ", "Bonjour,\r\n\r\nMerci.  "))
    assert checked.titles["fr"] == "Accusé de réception"
    assert checked.bodies["fr"] == "Bonjour,\n\nMerci."
    assert checked.languages == ["fr"]


@pytest.mark.parametrize(("given", "field"), [
    ({"fr": ("", "Texte")}, "title_fr"),
    ({"fr": ("Titre", "  ")}, "body_fr"),
    ({"fr": ("Titre", "Texte"), "de": ("Titel", "")}, "body_de"),
    ({"fr": ("Titre", "Texte"), "en": ("", "Text")}, "title_en"),
    ({"fr": ("T" * 121, "Texte")}, "title_fr"),
    ({"fr": ("Titre", "x" * 201)}, "body_fr"),
    ({"fr": ("Titre", "Bonjour {{client.nom}} {{client.adresse}}")}, "body_fr"),
    ({"fr": ("Titre {{ inconnu }}", "Texte")}, "title_fr"),
    ({"fr": ("Titre", "Texte"), "de": ("Titel", "Hallo {{kunde.name}}")}, "body_de"),
])
def test_texts_that_break_a_rule_are_refused_on_their_field(given, field):
    with pytest.raises(InvalidInput) as refused:
        check(**given)
    assert refused.value.field == field


def test_an_unknown_placeholder_is_named_with_those_that_exist():
    with pytest.raises(InvalidInput) as refused:
        check(fr=("Titre", "{{client.adresse}} et {{ client.adresse }}"))
    assert "{{client.adresse}}" in refused.value.message
    assert "{{client.nom}}" in refused.value.message
    assert placeholders_unknown("{{client.nom}} {{x}} {{ x }} {{}} {{a b}}") == [
        "{{x}}", "{{ x }}", "{{}}"]


def test_braces_that_are_no_placeholder_stay_text():
    checked = check(fr=("Titre", "Un ensemble {a, b} et {{ pas fermé"))
    assert checked.bodies["fr"] == "Un ensemble {a, b} et {{ pas fermé"


def test_the_search_text_holds_every_language_normalised():
    checked = check(fr=("Clôture", "Réglé"), de=("Abschluss", "Gelöst"))
    assert canned_reply_search_text(checked).split("\n") == [
        "cloture", "abschluss", "regle", "gelost"]


# ------------------------------------------------------------ filling, per language

@pytest.fixture
def request_for_anne(client_user):
    client_user.first_name, client_user.last_name = "Anne", "Rochat"
    client_user.save()
    return factories.make_request(client_user, title="La clôture mensuelle échoue")


@override_settings(PORTAL_BASE_URL="https://support.example.test")
def test_every_placeholder_is_filled_for_the_request_and_the_agent(
        request_for_anne, servicedesk):
    servicedesk.first_name, servicedesk.last_name = "Sami", "Service"
    servicedesk.save()
    body = " | ".join(p.code for p in PLACEHOLDERS.values())
    reply = factories.make_canned_reply(servicedesk, title="Tous les champs", body=body)
    filled = canned_reply_filled(servicedesk, request_for_anne.key, reply.pk)
    key = request_for_anne.key
    assert filled.body.split(" | ") == [
        "Anne", "Anne Rochat", "Horlogerie du Jura SA", key, "La clôture mensuelle échoue",
        "Ouvert", f"https://support.example.test/portal/requests/{key}/", "Sami",
        "Sami Service"]
    assert (filled.language, filled.translated) == ("fr", True)


def test_the_customers_language_is_used_and_french_where_it_has_none(
        request_for_anne, client_user, servicedesk):
    Profile.objects.filter(user=client_user).update(language="de")
    translated = factories.make_canned_reply(
        servicedesk, title="Accusé", body="Bonjour {{client.prenom}}, statut {{demande.statut}}",
        de=("Eingangsbestätigung", "Hallo {{client.prenom}}, Status {{demande.statut}}"))
    french_only = factories.make_canned_reply(
        servicedesk, title="Relance", body="Bonjour {{client.prenom}}, statut {{demande.statut}}")
    filled = canned_reply_filled(servicedesk, request_for_anne.key, translated.pk)
    assert (filled.title, filled.body) == ("Eingangsbestätigung", "Hallo Anne, Status Offen")
    assert (filled.language, filled.translated, filled.language_name) == ("de", True, "Deutsch")
    fallback = canned_reply_filled(servicedesk, request_for_anne.key, french_only.pk)
    assert (fallback.body, fallback.language, fallback.translated) == (
        "Bonjour Anne, statut Ouvert", "fr", False)


def test_a_customer_without_a_profile_or_first_name_reads_french_and_their_name(
        request_for_anne, client_user, servicedesk):
    Profile.objects.filter(user=client_user).update(language="xx")
    client_user.first_name = ""
    client_user.save()
    reply = factories.make_canned_reply(servicedesk, body="Bonjour {{client.prenom}}",
                                        de=("Titel", "Hallo"))
    filled = canned_reply_filled(servicedesk, request_for_anne.key, reply.pk)
    assert (filled.body, filled.language) == ("Bonjour Rochat", "fr")


def test_values_are_never_filled_again(client_user, servicedesk):
    r = factories.make_request(client_user, title="Titre {{agent.nom}} {{ demande.numero }}")
    reply = factories.make_canned_reply(servicedesk, body="« {{demande.titre}} »")
    filled = canned_reply_filled(servicedesk, r.key, reply.pk)
    assert filled.body == "« Titre {{agent.nom}} {{ demande.numero }} »"


def test_a_request_the_agent_may_not_see_is_not_found(client_user, sales, servicedesk):
    r = factories.make_request(client_user)  # Support: not sales administration's
    reply = factories.make_canned_reply(sales, body="Bonjour")
    with pytest.raises(RequestNotFound):
        canned_reply_filled(sales, r.key, reply.pk)
    with pytest.raises(RequestNotFound):
        canned_reply_pick(sales, r.key)
    with pytest.raises(RequestNotFound):
        canned_reply_filled(servicedesk, "SPT-999999", reply.pk)
    licence = factories.make_licence(sales, client_user)
    assert canned_reply_filled(sales, licence.key, reply.pk).body == "Bonjour"


def test_a_client_fills_nothing_even_on_their_own_request(client_user, servicedesk):
    r = factories.make_request(client_user)
    shared = factories.make_canned_reply(servicedesk, shared=True)
    with pytest.raises(CannedReplyNotFound):
        canned_reply_filled(client_user, r.key, shared.pk)
    assert list(canned_reply_list_for_user(client_user)) == []


# ---------------------------------------------------------- who sees which replies

def test_each_person_sees_the_shared_replies_and_their_own_only(
        servicedesk, servicedesk2, frontdesk, sales, admin_user):
    shared = factories.make_canned_reply(servicedesk, title="Partagée", shared=True)
    mine = factories.make_canned_reply(frontdesk, title="Mienne")
    theirs = factories.make_canned_reply(servicedesk2, title="La sienne")
    assert list(canned_reply_list_for_user(frontdesk)) == [mine, shared]
    assert list(canned_reply_list_for_user(frontdesk, scope=Scope.MINE)) == [mine]
    assert list(canned_reply_list_for_user(frontdesk, scope=Scope.SHARED)) == [shared]
    assert list(canned_reply_list_for_user(sales)) == [shared]
    # An administrator does not read people's personal replies here either.
    assert list(canned_reply_list_for_user(admin_user)) == [shared]
    for person in (frontdesk, sales, admin_user):
        with pytest.raises(CannedReplyNotFound):
            canned_reply_get_for_user(person, theirs.pk)
    assert canned_reply_get_for_user(servicedesk2, theirs.pk) == theirs


def test_search_finds_every_word_in_any_language_accents_aside(servicedesk):
    closing = factories.make_canned_reply(
        servicedesk, title="Clôture confirmée", body="La demande est close.",
        de=("Abschluss", "Die Anfrage ist geschlossen."))
    factories.make_canned_reply(servicedesk, title="Demande d'informations",
                                body="Pouvez-vous préciser la version ?")

    def found(text):
        return [r.title for r in canned_reply_list_for_user(servicedesk, text=text)]

    assert found("cloture") == ["Clôture confirmée"]
    assert found("GESCHLOSS") == ["Clôture confirmée"]
    assert found("demande clo") == ["Clôture confirmée"]
    assert found("demande") == ["Clôture confirmée", "Demande d'informations"]
    assert found("version 100%") == []
    assert found("  ") == ["Clôture confirmée", "Demande d'informations"]
    assert closing.search_text.startswith("cloture confirmee\nabschluss\n")


def test_titles_are_ordered_in_the_readers_language_french_where_missing(servicedesk):
    from django.utils import translation

    factories.make_canned_reply(servicedesk, title="Zèbre", de=("Affe", "Text"))
    factories.make_canned_reply(servicedesk, title="Baleine")
    with translation.override("de"):
        assert [r.title for r in canned_reply_list_for_user(servicedesk)] == ["Affe", "Baleine"]
    assert [r.title for r in canned_reply_list_for_user(servicedesk)] == ["Baleine", "Zèbre"]


def test_the_pick_lists_a_few_replies_previewed_as_inserted(request_for_anne, servicedesk):
    for n in range(PICK_LIMIT + 2):
        factories.make_canned_reply(servicedesk, title=f"Réponse {n:02d}",
                                    body="Bonjour {{client.prenom}}, " + "suite " * 60)
    pick = canned_reply_pick(servicedesk, request_for_anne.key)
    assert len(pick.choices) == PICK_LIMIT and pick.more
    assert pick.choices[0].preview.startswith("Bonjour Anne, suite")
    assert len(pick.choices[0].preview) <= 140
    narrowed = canned_reply_pick(servicedesk, request_for_anne.key, text="reponse 03")
    assert [c.title for c in narrowed.choices] == ["Réponse 03"] and not narrowed.more


# ------------------------------------------------------------------- writing them

def test_anyone_of_the_back_office_keeps_personal_replies(frontdesk, sales):
    for person in (frontdesk, sales):
        reply = canned_reply_create(actor=person, shared=False,
                                    **texts(fr=("Merci", "Merci {{client.prenom}}")))
        assert reply.owner == person and reply.revision == 1
        assert CannedReplyTexts.of(reply).languages == ["fr"]


def test_only_servicedesk_and_administrators_write_shared_replies(
        frontdesk, daily, expert, sales, servicedesk, admin_user):
    for person in (frontdesk, daily, expert, sales):
        with pytest.raises(PermissionDenied):
            canned_reply_create(actor=person, shared=True, **texts(fr=("Partagée", "Texte")))
    assert not CannedReply.objects.exists()
    for n, person in enumerate((servicedesk, admin_user)):
        reply = canned_reply_create(actor=person, shared=True,
                                    **texts(fr=(f"Partagée {n}", "Texte")))
        assert reply.is_shared


def test_a_client_writes_none(client_user):
    with pytest.raises(PermissionDenied):
        canned_reply_create(actor=client_user, shared=False, **texts(fr=("Titre", "Texte")))
    assert not CannedReply.objects.exists()


def test_one_list_never_holds_two_replies_of_the_same_title(servicedesk, frontdesk):
    factories.make_canned_reply(servicedesk, title="Accusé de réception", shared=True)
    factories.make_canned_reply(servicedesk, title="Accusé de réception")  # personal: another list
    factories.make_canned_reply(frontdesk, title="Accusé de réception")
    with pytest.raises(InvalidInput) as refused:
        factories.make_canned_reply(frontdesk, title="accusé de réception")
    assert refused.value.field == "title_fr"
    with pytest.raises(InvalidInput):
        factories.make_canned_reply(servicedesk, title="Accusé de réception", shared=True)
    assert CannedReply.objects.count() == 3


def test_an_update_changes_the_texts_and_raises_the_revision(servicedesk, servicedesk2):
    reply = factories.make_canned_reply(servicedesk, title="Ancien", shared=True)
    updated = canned_reply_update(
        actor=servicedesk2, reply=reply, revision=1, shared=True,
        **texts(fr=("Nouveau", "Texte {{demande.numero}}"), en=("New", "Text")))
    reply.refresh_from_db()
    assert (reply.title_fr, reply.title_en, reply.revision) == ("Nouveau", "New", 2)
    assert reply.updated_by == servicedesk2 and updated.is_shared
    assert "new" in reply.search_text.split("\n")


def test_an_update_from_an_out_of_date_page_is_refused(servicedesk):
    reply = factories.make_canned_reply(servicedesk, title="Ancien")
    canned_reply_update(actor=servicedesk, reply=reply, revision=1, shared=False,
                        **texts(fr=("Deuxième", "Texte")))
    with pytest.raises(StaleRequest):
        canned_reply_update(actor=servicedesk, reply=reply, revision=1, shared=False,
                            **texts(fr=("Troisième", "Texte")))
    with pytest.raises(StaleRequest):
        canned_reply_delete(actor=servicedesk, reply=reply, revision=1)
    reply.refresh_from_db()
    assert (reply.title_fr, reply.revision) == ("Deuxième", 2)


def test_shared_replies_are_changed_by_their_writers_only(servicedesk, frontdesk, sales):
    reply = factories.make_canned_reply(servicedesk, title="Partagée", shared=True)
    for person in (frontdesk, sales):
        with pytest.raises(PermissionDenied):
            canned_reply_update(actor=person, reply=reply, revision=1, shared=True,
                                **texts(fr=("Autre", "Texte")))
        with pytest.raises(PermissionDenied):
            canned_reply_delete(actor=person, reply=reply, revision=1)
    reply.refresh_from_db()
    assert (reply.title_fr, reply.revision) == ("Partagée", 1)


def test_another_persons_reply_is_not_found_for_a_change(servicedesk, servicedesk2):
    reply = factories.make_canned_reply(servicedesk, title="À moi")
    with pytest.raises(CannedReplyNotFound):
        canned_reply_update(actor=servicedesk2, reply=reply.pk, revision=1, shared=False,
                            **texts(fr=("Volée", "Texte")))
    with pytest.raises(CannedReplyNotFound):
        canned_reply_delete(actor=servicedesk2, reply=reply.pk, revision=1)
    assert CannedReply.objects.get().title_fr == "À moi"


def test_a_personal_reply_is_shared_and_taken_back_by_those_who_write_shared_ones(
        servicedesk, frontdesk):
    mine = factories.make_canned_reply(frontdesk, title="À moi")
    with pytest.raises(PermissionDenied):
        canned_reply_update(actor=frontdesk, reply=mine, revision=1, shared=True,
                            **texts(fr=("À moi", "Texte")))
    reply = factories.make_canned_reply(servicedesk, title="Perso")
    shared = canned_reply_update(actor=servicedesk, reply=reply, revision=1, shared=True,
                                 **texts(fr=("Perso", "Texte")))
    assert shared.owner is None
    back = canned_reply_update(actor=servicedesk, reply=reply, revision=2, shared=False,
                               **texts(fr=("Perso", "Texte")))
    assert back.owner == servicedesk


def test_bad_texts_on_update_change_nothing(servicedesk):
    reply = factories.make_canned_reply(servicedesk, title="Titre")
    with pytest.raises(InvalidInput):
        canned_reply_update(actor=servicedesk, reply=reply, revision=1, shared=False,
                            **texts(fr=("Titre", "{{nope}}")))
    reply.refresh_from_db()
    assert reply.revision == 1 and "nope" not in reply.body_fr


def test_delete(servicedesk):
    reply = factories.make_canned_reply(servicedesk)
    canned_reply_delete(actor=servicedesk, reply=reply, revision=1)
    assert not CannedReply.objects.exists()


def test_replies_leave_requests_untouched(walk, servicedesk):
    from requests_app.workflow import RequestStatus as S

    r = walk(S.IN_PROGRESS)
    before = (r.updated_at, r.events.count())
    reply = factories.make_canned_reply(servicedesk)
    canned_reply_filled(servicedesk, r.key, reply.pk)
    canned_reply_pick(servicedesk, r.key)
    r.refresh_from_db()
    assert (r.updated_at, r.events.count()) == before
    # Inserted, then posted: an ordinary comment.
    comment = services.comment_add(actor=servicedesk, request=r,
                                   body=canned_reply_filled(servicedesk, r.key, reply.pk).body)
    assert comment.body.startswith(f"Bonjour {r.reporter.first_name},")


def test_the_demo_has_shared_replies_in_three_languages_and_a_personal_one():
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 - idempotent
    replies = list(CannedReply.objects.order_by("pk"))
    assert [CannedReplyTexts.of(r).languages for r in replies] == [
        ["fr", "de", "en"], ["fr", "de", "en"], ["fr"]]
    assert [r.is_shared for r in replies] == [True, True, False]
