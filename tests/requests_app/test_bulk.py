"""Bulk actions made safe: a queue offers only the actions its rows allow (the request page's
rules, row by row), the client's comment and the internal note are two fields whose readers
are never mixed up, and a refusal is said request by request with its reason."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app import services
from requests_app.forms.agent import (
    EITHER,
    INTERNAL,
    PUBLIC,
    TRANSITION_FORMS,
    BulkActionForm,
    bulk_text_audience,
)
from requests_app.models import Comment, Request
from requests_app.selectors.agent_page import BULK_ASSIGN, agent_page_offer, bulk_actions_for
from requests_app.workflow import BULK_TRANSITIONS, TRANSITIONS
from requests_app.workflow import RequestStatus as S
from tests import factories

pytestmark = pytest.mark.django_db

QUESTION = "Pouvez-vous préciser la version ?"


def bulk_form(user, refs, **fields):
    data = {"bulk-requests": [f"{r.number}:{r.status}" for r in refs],
            **{f"bulk-{name}": value for name, value in fields.items()}}
    return BulkActionForm(data, user=user, prefix="bulk")


# ----------------------------------------------------------------------------- the form

def test_who_reads_each_bulk_text_is_what_its_request_page_form_says():
    """Derived from the request page's own forms, and written out here so that a change of
    either shows."""
    assert {name: bulk_text_audience(name) for name in BULK_TRANSITIONS} == {
        "close_without_follow_up": PUBLIC, "start": None, "escalate_to_expert": INTERNAL,
        "return_to_service_desk": EITHER, "send_to_rnd": INTERNAL, "fix_available": EITHER,
        "ask_customer": PUBLIC, "propose_resolution": PUBLIC, "close": PUBLIC,
        "close_without_answer": PUBLIC, "close_escalated": PUBLIC,
    }
    for name in BULK_TRANSITIONS:
        assert name in TRANSITION_FORMS and TRANSITIONS[name].bulk


def test_the_two_texts_are_labelled_for_who_reads_them(servicedesk):
    form = BulkActionForm(user=servicedesk, prefix="bulk")
    assert form.fields["comment"].label == "Commentaire au client (visible du client)"
    assert form.fields["note"].label == "Note interne (jamais montrée au client)"
    assert "« Demander des informations »" in form.fields["comment"].help_text
    assert "« Escalader à un expert »" in form.fields["note"].help_text
    assert "« Demander des informations »" not in form.fields["note"].help_text
    assert form.uses["note"] == ["escalate_to_expert", "send_to_rnd"]
    assert "internal-note-input" in str(form["note"])


def test_a_public_action_asks_for_its_text_on_the_comment_and_refuses_a_note(walk,
                                                                            servicedesk):
    r = walk(S.IN_PROGRESS)
    form = bulk_form(servicedesk, [r], action="ask_customer")
    assert not form.is_valid()
    assert form.errors["comment"] == ["Posez votre question au client."]
    form = bulk_form(servicedesk, [r], action="ask_customer", note="Entre nous.")
    assert not form.is_valid()
    assert form.errors["note"] == [
        "« Demander des informations » écrit au client : son texte va dans « Commentaire au "
        "client », pas en note interne."]
    form = bulk_form(servicedesk, [r], action="ask_customer", comment=QUESTION)
    assert form.is_valid(), form.errors
    assert form.service_kwargs("ask_customer") == {"question": QUESTION}


def test_an_internal_action_asks_for_a_note_and_refuses_a_comment_to_the_client(
    walk, servicedesk
):
    r = walk(S.IN_PROGRESS)
    form = bulk_form(servicedesk, [r], action="escalate_to_expert", comment="Au client ?")
    assert not form.is_valid()
    assert form.errors["note"] == ["Une note interne pour l'expert est obligatoire."]
    assert "ne prend qu'une note interne" in form.errors["comment"][0]
    form = bulk_form(servicedesk, [r], action="escalate_to_expert", note="À analyser.")
    assert form.is_valid(), form.errors
    assert form.service_kwargs("escalate_to_expert") == {"note": "À analyser."}
    # Optional, and internal: the R&D reference is what is required.
    form = bulk_form(servicedesk, [r], action="send_to_rnd")
    assert not form.is_valid() and list(form.errors) == ["rnd_reference"]


def test_an_either_action_takes_one_text_and_its_field_says_who_reads_it(walk, expert):
    r = walk(S.AWAITING_TRIAGE)
    form = bulk_form(expert, [r], action="return_to_service_desk")
    assert not form.is_valid()
    assert form.errors["note"] == ["Un commentaire pour le ServiceDesk est obligatoire. "
                                   "Écrivez-le en note interne, ou en commentaire au client."]
    form = bulk_form(expert, [r], action="return_to_service_desk", comment="A", note="B")
    assert not form.is_valid() and "pas les deux" in form.errors["note"][0]
    form = bulk_form(expert, [r], action="return_to_service_desk", note="Voir la note.")
    assert form.is_valid()
    assert form.service_kwargs("return_to_service_desk") == {
        "comment": "Voir la note.", "internal": True}
    form = bulk_form(expert, [r], action="return_to_service_desk", comment="Corrigé.")
    assert form.is_valid()
    assert form.service_kwargs("return_to_service_desk") == {
        "comment": "Corrigé.", "internal": False}


def test_an_action_without_text_refuses_one(walk, daily, servicedesk2):
    r = walk(S.IN_PROGRESS)
    form = bulk_form(daily, [r], action=BULK_ASSIGN, assignee=servicedesk2.pk,
                     note="Pour toi.")
    assert not form.is_valid()
    assert form.errors["note"] == ["« Assigner / réassigner » ne prend pas de texte : videz "
                                   "ce champ."]


def test_offered_narrows_the_choices_to_what_the_page_allows(servicedesk, walk):
    r = walk(S.IN_PROGRESS)
    full = BulkActionForm(user=servicedesk, prefix="bulk")
    assert full.action_names == [BULK_ASSIGN, "start", "escalate_to_expert", "send_to_rnd",
                                 "ask_customer", "propose_resolution", "close",
                                 "close_without_answer", "close_escalated"]
    narrowed = BulkActionForm(user=servicedesk, prefix="bulk",
                              offered={"ask_customer", "qualify", "nonsense"})
    assert narrowed.action_names == ["ask_customer"]  # never beyond the person's roles
    assert narrowed.uses["note"] == [] and narrowed.uses["comment"] == ["ask_customer"]
    # A role's action outside the page's is no choice for the narrowed form.
    form = BulkActionForm({"bulk-requests": [f"{r.number}:{r.status}"],
                           "bulk-action": "close_escalated", "bulk-comment": "x"},
                          user=servicedesk, prefix="bulk", offered={"ask_customer"})
    assert not form.is_valid() and "action" in form.errors


# -------------------------------------------------------------------- what is offered

def test_each_request_offers_the_bulk_actions_of_its_page(walk, servicedesk, daily, people_set):
    made = {status: walk(status) for status in (S.QUALIFIED, S.IN_PROGRESS,
                                                  S.AWAITING_CUSTOMER, S.CLOSED)}
    ids = [r.pk for r in made.values()]
    for person in (servicedesk, daily):
        with CaptureQueriesContext(connection) as captured:
            offered = bulk_actions_for(person, ids)
        assert len(captured) == 1
        for status, r in made.items():
            page = agent_page_offer(person, Request.objects.get(pk=r.pk))
            expected = [name for name in page.transitions if TRANSITIONS[name].bulk]
            if page.assign:
                expected.insert(0, BULK_ASSIGN)
            assert offered[r.pk] == expected, (person, status)
    assert bulk_actions_for(servicedesk, [made[S.IN_PROGRESS].pk])[made[S.IN_PROGRESS].pk] == [
        "escalate_to_expert", "send_to_rnd", "ask_customer", "propose_resolution",
        "close_escalated"]  # already theirs: no "assign"
    assert bulk_actions_for(daily, [made[S.QUALIFIED].pk])[made[S.QUALIFIED].pk] == ["start"]
    assert bulk_actions_for(daily, [made[S.CLOSED].pk])[made[S.CLOSED].pk] == []
    assert bulk_actions_for(daily, []) == {}


@pytest.fixture
def people_set(servicedesk2, expert, rnd):
    return {"servicedesk2": servicedesk2, "expert": expert, "rnd": rnd}


# ------------------------------------------------------------------------- the service

def test_the_service_does_each_once_and_refuses_each_with_its_reason(walk, servicedesk,
                                                                     outsider):
    ok, triage = walk(S.IN_PROGRESS), walk(S.AWAITING_TRIAGE)
    hidden_number = 999
    result = services.requests_bulk_apply(
        actor=servicedesk,
        refs=[(ok.number, ok.status), (ok.number, ok.status), (triage.number, triage.status),
              (hidden_number, S.OPEN)],
        action="ask_customer", params={"question": QUESTION})
    assert result.done == [ok.key]
    assert result.refused == [
        (triage.key, "« Demander des informations » n'est pas possible au statut "
                     "« En attente triage »."),
        (f"SPT-{hidden_number}", "Demande introuvable."),
    ]
    assert Request.objects.get(pk=ok.pk).status == S.AWAITING_CUSTOMER
    assert Comment.objects.filter(request=ok, body=QUESTION).count() == 1


def test_a_bulk_return_to_the_service_desk_may_speak_to_the_client(walk, expert):
    r = walk(S.AWAITING_TRIAGE)
    form = bulk_form(expert, [r], action="return_to_service_desk", comment="Corrigé en 24.2.")
    assert form.is_valid()
    result = services.requests_bulk_apply(actor=expert, refs=form.cleaned_data["requests"],
                                          action="return_to_service_desk",
                                          params=form.service_kwargs("return_to_service_desk"))
    assert result.done == [r.key]
    assert Comment.objects.get(request=r, body="Corrigé en 24.2.").is_internal is False


# ---------------------------------------------------------------------------- the views

def offer_on(html: str) -> dict:
    found = re.search(r'<script id="agent-bulk-offer" type="application/json">(.*?)</script>',
                      html)
    assert found is not None
    return json.loads(found.group(1))


def test_the_queue_page_says_each_rows_actions_and_offers_their_union(client, walk,
                                                                     servicedesk):
    mine, triage = walk(S.IN_PROGRESS), walk(S.AWAITING_TRIAGE)
    waiting = walk(S.AWAITING_CUSTOMER)
    client.force_login(servicedesk)
    html = client.get("/agent/queues/toutes-ouvertes/", {"bulk": "open"}).content.decode()
    offer = offer_on(html)
    assert offer["rows"] == {
        f"{mine.number}:in_progress": ["escalate_to_expert", "send_to_rnd", "ask_customer",
                                       "propose_resolution", "close_escalated"],
        f"{triage.number}:awaiting_triage": ["send_to_rnd"],
        f"{waiting.number}:awaiting_customer": [],
    }
    assert offer["labels"]["send_to_rnd"] == "Transmettre au R&D"
    start = html.index('<select name="bulk-action"')
    options = re.findall(r'<option value="([a-z_]+)"',
                         html[start:html.index("</select>", start)])
    # The union of the rows', in the form's order: nothing no row allows ("start", "close").
    assert options == ["escalate_to_expert", "send_to_rnd", "ask_customer",
                       "propose_resolution", "close_escalated"]
    assert 'data-bulk-for="send_to_rnd"' in html  # the R&D reference's field
    assert 'hx-get' not in html[html.index('id="agent-bulk"'):html.index('data-bulk-fields')]


def test_the_queue_page_costs_the_same_queries_with_the_bulk_offer(client, client_user,
                                                                   daily):
    for _ in range(5):
        factories.make_request(client_user)
    client.force_login(daily)
    url = "/agent/queues/toutes-ouvertes/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(25):
        factories.make_request(client_user)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(few) == len(many)


def test_the_fields_follow_the_actions_the_page_names_never_beyond_the_roles(client,
                                                                            servicedesk):
    client.force_login(servicedesk)
    url = "/agent/queues/en-cours/bulk/fields/"
    html = client.get(url, {"actions": "send_to_rnd,qualify"},
                      HTTP_HX_REQUEST="true").content.decode()
    assert re.findall(r'<option value="([a-z_]+)"', html) == ["send_to_rnd"]
    assert 'name="bulk-rnd_reference"' in html and 'name="bulk-note"' in html
    assert 'name="bulk-comment"' not in html and 'name="bulk-assignee"' not in html
    html = client.get(url, {"actions": ""}, HTTP_HX_REQUEST="true").content.decode()
    assert "Aucune action groupée n’est possible" in html and 'name="bulk-action"' not in html


def test_refusals_are_listed_one_per_line_with_a_summary(client, walk, servicedesk):
    ok, also_ok = walk(S.IN_PROGRESS), walk(S.IN_PROGRESS)
    triage = walk(S.AWAITING_TRIAGE)
    client.force_login(servicedesk)
    response = client.post("/agent/queues/toutes-ouvertes/bulk/", {
        "bulk-requests": [f"{r.number}:{r.status}" for r in (ok, also_ok, triage)],
        "bulk-action": "ask_customer", "bulk-comment": QUESTION}, follow=True)
    html = response.content.decode()
    alert = html[html.index('class="alert alert-warning'):]
    alert = alert[:alert.index("</div>")]
    assert "« Demander des informations » : 2 demandes traitées, 1 refusée." in alert
    assert f"Traitées : {ok.key}, {also_ok.key}." in alert
    assert re.findall(r"<li><strong>(SPT-\d+)</strong> : ([^<]+)</li>", alert) == [
        (triage.key, "« Demander des informations » n&#x27;est pas possible au statut "
                     "« En attente triage ».")]


def test_all_done_is_one_success_and_all_refused_one_error(client, walk, servicedesk):
    a, b = walk(S.IN_PROGRESS), walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    html = client.post("/agent/queues/en-cours/bulk/", {
        "bulk-requests": [f"{a.number}:{a.status}", f"{b.number}:{b.status}"],
        "bulk-action": "escalate_to_expert", "bulk-note": "À analyser."},
        follow=True).content.decode()
    assert f"« Escalader à un expert » : 2 demandes traitées ({a.key}, {b.key})." in html
    assert "alert-success" in html and "alert alert-danger alert-dismissible" not in html
    html = client.post("/agent/queues/en-cours/bulk/", {
        "bulk-requests": [f"{a.number}:in_progress"],
        "bulk-action": "escalate_to_expert", "bulk-note": "Encore."},
        follow=True).content.decode()
    assert "« Escalader à un expert » : aucune demande traitée, 1 refusée." in html
    assert "alert alert-danger alert-dismissible" in html
    assert f"<li><strong>{a.key}</strong> : La demande" in html


def test_a_text_in_the_wrong_field_is_a_400_on_that_field_and_changes_nothing(client, walk,
                                                                            servicedesk):
    r = walk(S.IN_PROGRESS)
    client.force_login(servicedesk)
    response = client.post("/agent/queues/en-cours/bulk/", {
        "bulk-requests": [f"{r.number}:{r.status}"], "bulk-action": "ask_customer",
        "bulk-note": QUESTION})
    html = response.content.decode()
    assert response.status_code == 400
    assert "écrit au client : son texte va dans « Commentaire au client »" in html
    assert 'id="id_bulk-note"' in html and "is-invalid" in html
    assert Request.objects.get(pk=r.pk).status == S.IN_PROGRESS
    assert not Comment.objects.filter(request=r, body=QUESTION).exists()
