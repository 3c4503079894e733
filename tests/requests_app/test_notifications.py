"""Who hears about which event (DESIGN §6): the exact recipients, their language, muting, the
confirmation request that reaches a muted reporter, and no internal note in any e-mail.

These tests read the outbox rows, which every action writes in its own transaction whatever
the broker, so they hold on both CI passes (eager SQLite, and PostgreSQL + Redis without a
worker).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone
from django.utils.translation.template import templatize

from requests_app import notifications, services
from requests_app.events import slo_crossing_record
from requests_app.models import NotificationKind as N
from requests_app.models import OutboundMessage, Profile, RequestEvent
from requests_app.permissions import Role
from requests_app.workflow import STATUS_MEANING, RequestStatus, Resolution
from requests_app.workflow import RequestStatus as S
from tests import factories

SECRET = "NOTE-INTERNE-7f3a"


def mark() -> int:
    return OutboundMessage.objects.aggregate(last=Max("pk"))["last"] or 0


def sent_since(before: int) -> set[tuple[str, str]]:
    """(username, kind) of the rows written since ``before``."""
    return {
        (m.recipient.username, m.kind)
        for m in OutboundMessage.objects.filter(pk__gt=before).select_related("recipient")
    }


def rows_since(before: int) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(pk__gt=before).select_related("recipient"))


def on_behalf(sales, reporter, **kwargs):
    return services.request_create(
        actor=sales, organisation=reporter.profile.organisation, reporter=reporter,
        request_type=factories.request_type(kwargs.pop("type_code", "support")),
        title=kwargs.pop("title", "Clé de licence"), description="Pour 20 utilisateurs.",
        priority=factories.priority(), **kwargs,
    )


@pytest.fixture
def frontdesk2(db):
    return factories.make_agent(Role.FRONTDESK, username="frontdesk2", language="de")


@pytest.fixture
def daily2(db):
    return factories.make_agent(Role.DAILY, username="daily2")


@pytest.fixture
def in_progress(walk, colleague, client_user):
    """A request of ``client_user`` En cours, assigned to ``servicedesk``, with ``colleague``
    as a participant."""
    request = walk(S.IN_PROGRESS)
    services.participant_add(actor=client_user, request=request, user=colleague)
    return request


# --- request received ------------------------------------------------------------------------

@pytest.mark.django_db
def test_request_received_goes_to_frontdesk_and_a_receipt_to_the_client_who_opened_it(
    client_user, frontdesk, frontdesk2, daily, servicedesk
):
    before = mark()
    request = factories.make_request(client_user, description="Erreur **4512** à la validation.")
    assert sent_since(before) == {("frontdesk", N.REQUEST_RECEIVED),
                                  ("frontdesk2", N.REQUEST_RECEIVED),
                                  ("client", N.REQUEST_RECEIVED)}
    row = OutboundMessage.objects.get(recipient=frontdesk)
    assert row.subject == f"[{request.key}] La clôture mensuelle échoue — Demande reçue"
    assert f"/agent/requests/{request.key}/" in row.body_text
    assert "Erreur **4512**" in row.body_text  # the description, for triage

    receipt = OutboundMessage.objects.get(recipient=client_user)
    assert receipt.subject == (
        f"Nous avons bien reçu votre demande {request.key} — La clôture mensuelle échoue")
    for part in (receipt.body_text, receipt.body_html):
        assert f"Nous avons bien reçu votre demande {request.key}." in part
        assert "Support" in part and request.priority.name in part
        assert f"http://127.0.0.1:8000/portal/requests/{request.key}/" in part
    assert "Erreur **4512** à la validation." in receipt.body_text
    assert "Erreur <strong>4512</strong> à la validation." in receipt.body_html
    assert "/agent/" not in receipt.body_text + receipt.body_html
    # Sent at once, not held for news to go with.
    assert receipt.next_attempt_at == receipt.created_at


@pytest.mark.django_db
def test_request_opened_on_behalf_tells_the_reporter_with_a_portal_link(
    client_user, frontdesk, sales
):
    before = mark()
    request = on_behalf(sales, client_user, type_code="licence")
    assert sent_since(before) == {("client", N.REQUEST_RECEIVED),
                                  ("frontdesk", N.REQUEST_RECEIVED)}
    row = OutboundMessage.objects.get(recipient=client_user)
    assert row.to_address == "client@example.test"
    assert row.subject.startswith(f"Nous avons bien reçu votre demande {request.key} — ")
    assert f"http://127.0.0.1:8000/portal/requests/{request.key}/" in row.body_text
    assert "/agent/" not in row.body_text + row.body_html
    assert "pour le compte de" in row.body_text


# --- public status change --------------------------------------------------------------------

@pytest.mark.django_db
def test_taking_a_request_in_charge_reaches_reporter_and_participants_only(
    walk, client_user, colleague, daily, servicedesk
):
    request = walk(S.QUALIFIED)
    services.participant_add(actor=client_user, request=request, user=colleague)
    before = mark()
    services.request_start(actor=daily, request=request, assignee=servicedesk)
    assert sent_since(before) == {("client", N.STATUS_CHANGED), ("client2", N.STATUS_CHANGED)}
    row = OutboundMessage.objects.get(pk__gt=before, recipient=client_user)
    assert row.subject.endswith("— Nouveau statut : En cours")
    assert "Nous travaillons à répondre à votre demande" in row.body_text


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["escalate_to_expert", "send_to_rnd"])
def test_a_hop_inside_customer_service_tells_the_client_nothing(
    action, in_progress, servicedesk
):
    before = mark()
    if action == "escalate_to_expert":
        services.request_escalate_to_expert(actor=servicedesk, request=in_progress, note=SECRET)
    else:
        services.request_send_to_rnd(actor=servicedesk, request=in_progress,
                                     rnd_reference="RD-42", comment=SECRET)
    assert sent_since(before) == set()


@pytest.mark.django_db
def test_ask_customer_sends_the_question_with_the_status_change(in_progress, servicedesk):
    before = mark()
    services.request_ask_customer(actor=servicedesk, request=in_progress,
                                  question="Quel est le numéro de build ?")
    assert sent_since(before) == {("client", N.STATUS_CHANGED), ("client2", N.STATUS_CHANGED)}
    row = rows_since(before)[0]
    assert "En attente client" in row.subject
    assert "Quel est le numéro de build ?" in row.body_text
    assert "Quel est le numéro de build ?" in row.body_html


# --- comments ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_public_agent_comment_reaches_reporter_and_participants_not_its_author(
    in_progress, servicedesk
):
    before = mark()
    services.comment_add(actor=servicedesk, request=in_progress, body="Nous regardons.")
    assert sent_since(before) == {("client", N.AGENT_COMMENT), ("client2", N.AGENT_COMMENT)}
    row = rows_since(before)[0]
    assert row.subject.endswith("— Nouvelle réponse du Customer Service")
    assert "Nous regardons." in row.body_text


@pytest.mark.django_db
def test_an_internal_note_sends_nothing_at_all(in_progress, servicedesk, expert):
    before = mark()
    services.comment_add(actor=servicedesk, request=in_progress, body=SECRET, is_internal=True)
    assert sent_since(before) == set()


@pytest.mark.django_db
def test_client_comment_reaches_the_assignee_only(in_progress, colleague, servicedesk):
    before = mark()
    services.comment_add(actor=colleague, request=in_progress, body="Toujours bloqué.")
    assert sent_since(before) == {("servicedesk", N.CLIENT_COMMENT)}
    row = rows_since(before)[0]
    assert f"/agent/requests/{in_progress.key}/" in row.body_text
    assert "Toujours bloqué." in row.body_text


@pytest.mark.django_db
def test_client_comment_before_assignment_sends_nothing(client_user):
    request = factories.make_request(client_user)
    before = mark()
    services.comment_add(actor=client_user, request=request, body="Précision.")
    assert sent_since(before) == set()


@pytest.mark.django_db
def test_client_answer_while_awaiting_customer_tells_assignee_and_other_participants(
    in_progress, client_user, servicedesk
):
    services.request_ask_customer(actor=servicedesk, request=in_progress, question="Version ?")
    before = mark()
    services.comment_add(actor=client_user, request=in_progress, body="La 24.1.")
    # The author (the reporter) hears nothing; the request is back En cours.
    assert sent_since(before) == {("servicedesk", N.CLIENT_COMMENT),
                                  ("client2", N.STATUS_CHANGED)}


# --- confirmation request, confirmed, denied ------------------------------------------------------

@pytest.mark.django_db
def test_proposed_resolution_sends_one_confirmation_request_per_person(
    in_progress, servicedesk
):
    before = mark()
    services.request_propose_resolution(actor=servicedesk, request=in_progress,
                                        resolution="Appliquez le correctif 24.1.3.")
    # Not also a "status change" e-mail: the confirmation request says both.
    assert sent_since(before) == {("client", N.CONFIRMATION_REQUEST),
                                  ("client2", N.CONFIRMATION_REQUEST)}
    row = OutboundMessage.objects.get(pk__gt=before, to_address="client@example.test")
    assert row.subject.endswith("— Merci de confirmer la résolution")
    assert "Résolution proposée :" in row.body_text
    assert "Appliquez le correctif 24.1.3." in row.body_text
    assert "Confirmer la résolution" in row.body_text


@pytest.mark.django_db
def test_confirmation_request_reaches_a_muted_reporter_but_not_a_muted_participant(
    in_progress, client_user, colleague, servicedesk
):
    services.notifications_mute_set(actor=client_user, request=in_progress, muted=True)
    services.notifications_mute_set(actor=colleague, request=in_progress, muted=True)
    before = mark()
    services.request_propose_resolution(actor=servicedesk, request=in_progress,
                                        resolution="Corrigé.")
    assert sent_since(before) == {("client", N.CONFIRMATION_REQUEST)}


@pytest.mark.django_db
def test_confirmed_and_denied_reach_the_assignee(in_progress, client_user, servicedesk):
    services.request_propose_resolution(actor=servicedesk, request=in_progress,
                                        resolution="Corrigé.")
    before = mark()
    services.resolution_deny(actor=client_user, request=in_progress, body="Encore l'erreur.")
    assert sent_since(before) == {("servicedesk", N.DENIED), ("client2", N.STATUS_CHANGED)}
    denied = OutboundMessage.objects.get(pk__gt=before, kind=N.DENIED)
    assert "Encore l'erreur." in denied.body_text
    assert "« En cours »" in denied.body_text

    services.request_propose_resolution(actor=servicedesk, request=in_progress,
                                        resolution="Vraiment corrigé.")
    before = mark()
    services.resolution_confirm(actor=client_user, request=in_progress)
    assert sent_since(before) == {("servicedesk", N.CONFIRMED)}
    confirmed = OutboundMessage.objects.get(pk__gt=before)
    assert confirmed.subject.endswith("— Résolution confirmée par le client")


# --- closed -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_closing_sends_closed_with_the_resolution(in_progress, client_user, servicedesk):
    services.request_propose_resolution(actor=servicedesk, request=in_progress,
                                        resolution="Corrigé.")
    services.resolution_confirm(actor=client_user, request=in_progress)
    before = mark()
    services.request_close(actor=servicedesk, request=in_progress)
    assert sent_since(before) == {("client", N.CLOSED), ("client2", N.CLOSED)}
    row = rows_since(before)[0]
    assert row.subject.endswith("— Demande fermée")
    assert "Résolution : Traitée." in row.body_text
    assert "demande de suivi" in row.body_text


@pytest.mark.django_db
def test_withdrawing_tells_the_participants_not_the_reporter(in_progress, client_user):
    before = mark()
    services.request_withdraw(actor=client_user, request=in_progress, reason="Plus utile.")
    assert sent_since(before) == {("client2", N.CLOSED)}
    assert "Plus utile." in rows_since(before)[0].body_text


# --- SLO ----------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("crossing", "kind", "words"), [
    ("warning", N.SLO_WARNING, "SLO bientôt dépassé : Première réponse"),
    ("breach", N.SLO_BREACHED, "SLO dépassé : Première réponse"),
])
def test_slo_crossings_reach_assignee_and_daily_never_the_client(
    crossing, kind, words, in_progress, daily, daily2
):
    before = mark()
    slo_crossing_record(request_id=in_progress.pk, clock="first_response", crossing=crossing,
                        at=timezone.now())
    assert sent_since(before) == {("servicedesk", kind), ("daily", kind), ("daily2", kind)}
    assert all(row.subject.endswith(words) for row in rows_since(before))
    assert all("/agent/requests/" in row.body_text for row in rows_since(before))


@pytest.mark.django_db
def test_slo_breach_of_an_unassigned_request_reaches_daily(client_user, daily):
    request = factories.make_request(client_user)
    before = mark()
    slo_crossing_record(request_id=request.pk, clock="resolution", crossing="breach",
                        at=timezone.now())
    assert sent_since(before) == {("daily", N.SLO_BREACHED)}


# --- muting, author, addresses -------------------------------------------------------------------

@pytest.mark.django_db
def test_a_muted_person_gets_nothing_else_about_the_request(
    in_progress, colleague, servicedesk, client_user, daily
):
    services.notifications_mute_set(actor=colleague, request=in_progress, muted=True)
    services.notifications_mute_set(actor=servicedesk, request=in_progress, muted=True)
    before = mark()
    services.comment_add(actor=servicedesk, request=in_progress, body="Réponse.")
    services.request_ask_customer(actor=servicedesk, request=in_progress, question="Version ?")
    services.comment_add(actor=client_user, request=in_progress, body="24.1")
    slo_crossing_record(request_id=in_progress.pk, clock="resolution", crossing="warning",
                        at=timezone.now())
    recipients = {user for user, _kind in sent_since(before)}
    assert "client2" not in recipients and "servicedesk" not in recipients
    assert recipients == {"client", "daily"}

    services.notifications_mute_set(actor=colleague, request=in_progress, muted=False)
    before = mark()
    services.comment_add(actor=servicedesk, request=in_progress, body="Encore une réponse.")
    assert ("client2", N.AGENT_COMMENT) in sent_since(before)


@pytest.mark.django_db
def test_people_without_an_address_or_inactive_are_skipped(in_progress, colleague,
                                                           client_user, servicedesk):
    colleague.email = ""
    colleague.save()
    client_user.is_active = False
    client_user.save()
    before = mark()
    services.comment_add(actor=servicedesk, request=in_progress, body="Réponse.")
    assert sent_since(before) == set()


@pytest.mark.django_db
def test_the_author_is_never_notified_even_when_also_in_the_audience(
    client_user, frontdesk, sales
):
    # A FrontDesk agent who opens a request on behalf of a client is not told about it.
    before = mark()
    on_behalf(frontdesk, client_user)
    assert sent_since(before) == {("client", N.REQUEST_RECEIVED)}


# --- internal notes never leave -------------------------------------------------------------------

@pytest.mark.django_db
def test_no_internal_note_in_any_email_across_a_whole_life(
    client_user, colleague, frontdesk, daily, servicedesk, expert, rnd
):
    request = factories.make_request(client_user)
    services.participant_add(actor=client_user, request=request, user=colleague)
    request = services.request_qualify(
        actor=frontdesk, request=request, request_type=request.request_type,
        priority=request.priority, module=factories.module(), version="24.1",
        environment="production")
    services.comment_add(actor=frontdesk, request=request, body=SECRET, is_internal=True)
    request = services.request_start(actor=daily, request=request, assignee=servicedesk)
    request = services.request_escalate_to_expert(actor=servicedesk, request=request,
                                                  note=SECRET)
    request = services.request_send_to_rnd(actor=expert, request=request,
                                           rnd_reference="RD-9", comment=SECRET)
    request = services.request_fix_available(actor=rnd, request=request, comment=SECRET)
    services.comment_add(actor=servicedesk, request=request, body=SECRET, is_internal=True)
    request = services.request_propose_resolution(actor=servicedesk, request=request,
                                                  resolution="Corrigé en 24.1.3.")
    services.resolution_confirm(actor=client_user, request=request, body="Merci.")
    services.request_close(actor=servicedesk, request=request)

    rows = list(OutboundMessage.objects.filter(request=request))
    assert rows
    for row in rows:
        assert SECRET not in row.subject + row.body_text + row.body_html, row.kind
    client_kinds = [row.kind for row in rows if row.recipient_id in (client_user.pk,
                                                                     colleague.pk)]
    # The receipt (to the reporter, the colleague joined later); then only "En cours" when it
    # was taken in charge: not Qualifié, En attente triage, En attente R&D, nor the way back.
    assert client_kinds.count(N.REQUEST_RECEIVED) == 1
    assert client_kinds.count(N.STATUS_CHANGED) == 2
    assert client_kinds.count(N.CONFIRMATION_REQUEST) == 2
    assert client_kinds.count(N.CLOSED) == 2
    assert len(client_kinds) == 7


# --- languages ------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("language", "subject_end", "greeting", "footer", "status"), [
    ("fr", "— Nouveau statut : En cours", "Bonjour",
     "les réponses à cet e-mail ne sont pas lues", "Nous travaillons à répondre"),
    ("de", "— Neuer Status: In Bearbeitung", "Guten Tag",
     "Antworten auf diese E-Mail werden nicht gelesen", "Wir arbeiten an der Beantwortung"),
    ("en", "— New status: In progress", "Hello",
     "replies to this e-mail are not read", "We are working on your request"),
])
def test_each_email_speaks_its_recipient_language(
    language, subject_end, greeting, footer, status, walk, client_user, daily, servicedesk
):
    Profile.objects.filter(user=client_user).update(language=language)
    request = walk(S.QUALIFIED)
    before = mark()
    services.request_start(actor=daily, request=request, assignee=servicedesk)
    row = OutboundMessage.objects.get(pk__gt=before, recipient=client_user)
    assert row.language == language
    assert row.subject == f"[{request.key}] La clôture mensuelle échoue {subject_end}"
    for part in (row.body_text, row.body_html):
        assert greeting in part and footer in part and status in part
    assert f'<html lang="{language}">' in row.body_html


@pytest.mark.django_db
def test_recipients_of_one_event_each_get_their_own_language(client_user, frontdesk,
                                                              frontdesk2, sales):
    english = factories.make_agent(Role.FRONTDESK, username="frontdesk.en", language="en")
    Profile.objects.filter(user=client_user).update(language="de")
    before = mark()
    on_behalf(sales, client_user)
    subjects = {row.recipient.username: row.subject for row in rows_since(before)}
    assert subjects["frontdesk"].endswith("— Demande reçue")
    assert subjects["frontdesk2"].endswith("— Anfrage eingegangen")
    assert subjects[english.username].endswith("— Request received")
    assert subjects["client"].startswith("Wir haben Ihre Anfrage")


@pytest.mark.django_db
def test_reference_data_reads_in_each_recipients_language(client_user, frontdesk, sales):
    # Opened by a French-speaking actor: the names are the recipients', not the actor's.
    english = factories.make_agent(Role.FRONTDESK, username="frontdesk.en", language="en")
    Profile.objects.filter(user=client_user).update(language="de")
    before = mark()
    on_behalf(sales, client_user, type_code="licence", details={
        "modules": "Finance", "users": 25, "validity": "2027-12-31"})
    texts = {row.recipient.username: row.body_text for row in rows_since(before)}
    htmls = {row.recipient.username: row.body_html for row in rows_since(before)}
    assert "Typ: Lizenz\nPriorität: Mittel" in texts["client"]
    assert "Type: Licence\nPriority: Medium" in texts[english.username]
    assert "Type : Licence\nPriorité : Moyenne" in texts["frontdesk"]
    assert "Mittel" in htmls["client"] and "Moyenne" not in htmls["client"]


@pytest.mark.django_db
def test_an_slo_warning_names_the_priority_in_the_recipients_language(in_progress, daily):
    Profile.objects.filter(user=daily).update(language="de")
    before = mark()
    slo_crossing_record(request_id=in_progress.pk, clock="resolution", crossing="warning",
                        at=timezone.now())
    [row] = [row for row in rows_since(before) if row.recipient == daily]
    assert "(Priorität Mittel)" in row.body_text
    assert "Moyenne" not in row.body_text + row.body_html


@pytest.mark.django_db
def test_a_person_without_profile_gets_french(client_user, frontdesk):
    Profile.objects.filter(user=frontdesk).delete()
    before = mark()
    factories.make_request(client_user)
    row = OutboundMessage.objects.get(pk__gt=before, recipient=frontdesk)
    assert row.language == "fr"


# --- e-mail form ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_title_is_plain_in_text_and_escaped_in_html(client_user, frontdesk):
    before = mark()
    request = factories.make_request(client_user, title="Erreur <script> & « rapport »")
    row = OutboundMessage.objects.get(pk__gt=before, recipient=frontdesk)
    assert row.subject == (
        f"[{request.key}] Erreur <script> & « rapport » — Demande reçue"
    )
    assert "<script>" not in row.body_html
    assert "Erreur &lt;script&gt; &amp; « rapport »" in row.body_html
    assert row.body_text.rstrip().endswith(
        "les réponses à cet e-mail ne sont pas lues. Pour répondre, rendez-vous sur le portail."
    )
    assert "\n-- \n" in row.body_text  # the usual signature separator


@pytest.mark.django_db
def test_links_use_portal_base_url(settings, client_user, frontdesk):
    settings.PORTAL_BASE_URL = "https://support.example.ch"
    before = mark()
    request = factories.make_request(client_user)
    links = {}
    for row in rows_since(before):
        found = set(re.findall(r'href="([^"]+)"', row.body_html))
        assert found == set(re.findall(r"https?://\S+", row.body_text))
        links[row.recipient.username] = found
    assert links == {
        "frontdesk": {f"https://support.example.ch/agent/requests/{request.key}/"},
        "client": {f"https://support.example.ch/portal/requests/{request.key}/"},
    }
    assert "127.0.0.1" not in OutboundMessage.objects.get(recipient=frontdesk).body_html


# --- bounded queries --------------------------------------------------------------------------

@pytest.mark.django_db
def test_writing_the_rows_costs_the_same_queries_for_one_or_many_recipients(
    org_a, client_user, servicedesk, walk
):
    def queries_for_comment(participants: int) -> tuple[int, int]:
        request = walk(S.IN_PROGRESS)
        for index in range(participants):
            colleague = factories.make_client(org_a, f"coll{participants}_{index}")
            services.participant_add(actor=client_user, request=request, user=colleague)
        before = mark()
        with CaptureQueriesContext(connection) as queries:
            services.comment_add(actor=servicedesk, request=request, body="Réponse.")
        return len(queries), len(rows_since(before))

    few_queries, few_rows = queries_for_comment(1)
    many_queries, many_rows = queries_for_comment(8)
    assert (few_rows, many_rows) == (2, 9)
    assert few_queries == many_queries


@pytest.mark.django_db
def test_one_event_costs_two_queries_whatever_the_number_of_recipients(
    client_user, frontdesk, django_assert_num_queries
):
    request = factories.make_request(client_user)
    event = RequestEvent.objects.select_related(
        "request__organisation", "request__request_type", "request__priority",
        "request__reporter", "request__created_by", "actor",
    ).get(request=request)
    for more in (0, 11):
        for _ in range(more):
            factories.make_agent(Role.FRONTDESK, language="de")
        OutboundMessage.objects.filter(event=event).delete()
        # One SELECT of the people (mutes and roles as subqueries), one INSERT of the rows.
        with django_assert_num_queries(2):
            rows = notifications.notify(event)
        assert len(rows) == 2 + more  # FrontDesk and the client's receipt


@pytest.mark.django_db
def test_the_links_lead_to_the_request_pages_of_each_audience(client_user, sales, frontdesk):
    on_behalf(sales, client_user)
    pages = {}
    for row in OutboundMessage.objects.select_related("request"):
        url = notifications.request_url(row.request, back_office=row.recipient_id != client_user.pk)
        assert url in row.body_text and f'href="{url}"' in row.body_html
        pages[row.recipient.username] = resolve(urlsplit(url).path).view_name
    assert pages == {"client": "portal:request", "frontdesk": "agent:request"}


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_email_string_is_translated(language):
    """A new sentence in an e-mail template without its German and English translation would
    reach those recipients in French."""
    root = Path(__file__).resolve().parent.parent.parent
    with (root / "locale" / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        catalog = read_po(handle)
    missing, checked = [], set()
    for template in sorted((root / "templates" / "emails").iterdir()):
        code = templatize(template.read_text(), origin=str(template))
        for _line, _func, msgid, _comments in extract_python(
            io.BytesIO(code.encode()), ["gettext", "pgettext"], [], {}
        ):
            checked.add(msgid)
            entry = catalog.get(msgid)
            if entry is None or not entry.string:
                missing.append(f"{template.name}: {msgid}")
    for label in [*RequestStatus.labels, *STATUS_MEANING.values(), *Resolution.labels,
                  *notifications.CLOCK_LABELS.values()]:
        entry = catalog.get(str(label))
        if entry is None or not entry.string:
            missing.append(str(label))
    assert not missing, missing
    assert len(checked) > 30
