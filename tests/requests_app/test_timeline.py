"""The history's lines (``{% timeline_items %}``): every kind of event reads as it should, in
the reader's words and grammar ("Vous avez"), with its badges, links and sizes, every value
escaped; a client reads the vendor's internal steps without names nor references."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from requests_app import services
from requests_app.models import EventKind, Profile, Request, RequestEvent
from requests_app.services.people import notifications_mute_set
from requests_app.workflow import RequestStatus as S
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def eventful(walk, client_user, colleague, servicedesk, daily, frontdesk):
    """A request with a line of every kind a person can cause, and the SLO's."""
    r = walk(S.IN_PROGRESS, attachments=[SimpleUploadedFile("a<b>.txt", b"x" * 5000)])
    services.participant_add(actor=client_user, request=r, user=colleague)
    services.participant_remove(actor=client_user, request=r, user=colleague)
    services.comment_add(actor=servicedesk, request=r, body="Vu <i>ça</i>", is_internal=True)
    services.comment_add(actor=client_user, request=r, body="Voir **le journal**",
                         attachments=[SimpleUploadedFile("log.txt", b"12")])
    services.request_update_details(actor=servicedesk, request=r,
                                    priority=factories.priority("high"))
    notifications_mute_set(actor=client_user, request=r, muted=True)
    notifications_mute_set(actor=client_user, request=r, muted=False)
    r = services.request_propose_resolution(actor=servicedesk, request=r,
                                            resolution="Corrigé & fini")
    r = services.resolution_deny(actor=client_user, request=r, body="Non")
    r = services.request_propose_resolution(actor=servicedesk, request=Request.objects.get(
        pk=r.pk), resolution="Encore")
    services.resolution_confirm(actor=client_user, request=r, body="Merci")
    for kind in (EventKind.SLO_WARNING, EventKind.SLO_BREACHED, EventKind.SLO_BREACH_LIFTED):
        RequestEvent.objects.create(request=r, kind=kind, payload={"clock": "resolution"})
    return r


def lines(client, request) -> list[str]:
    html = client.get(f"/portal/requests/{request.key}/").content.decode()
    items = re.findall(r'<li class="timeline-item.*?</li>(?=<li class="timeline-item|</ol>)',
                       html, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_every_kind_of_line_in_the_customers_words(client, client_user, colleague,
                                                   servicedesk, eventful):
    client.force_login(client_user)
    name, agent = colleague.get_full_name(), servicedesk.get_full_name()
    said = [re.sub(r" \d{1,2} \w+ \d{4} \d\d:\d\d", "", line)
            for line in lines(client, eventful)]
    for expected in (
        "Vous avez créé la demande",
        "Vous avez ajouté une pièce jointe a&lt;b&gt;.txt (4,9 Kio)",
        "a modifié « Version » (vide) → devient 24.1",
        "a changé le statut (Qualifier) Ouvert → vers Qualifié",
        f"a attribué la demande à {agent}",
        f"Vous avez ajouté {name} aux participants",
        f"Vous avez retiré {name} des participants",
        "Vous avez commenté Voir le journal Pièce jointe : log.txt (2 octets)",
        "a modifié « Priorité » Moyenne → devient Haute",
        "Vous avez désactivé vos notifications pour cette demande",
        "Vous avez réactivé vos notifications pour cette demande",
        "a changé le statut (Proposer la résolution) En cours → vers En attente client "
        "Corrigé &amp; fini",
        "Vous avez indiqué que la solution ne convient pas Non",
        "Vous avez répondu : la demande revient au Customer Service",
        "Vous avez confirmé la résolution Merci",
        "SPT Portal SLO bientôt dépassé (Résolution)", "SPT Portal SLO dépassé (Résolution)",
        "SPT Portal SLO de nouveau dans les délais (Résolution) : le nouvel objectif "
        "n&#x27;est pas dépassé",
    ):
        assert expected in "\n".join(said), (expected, said)
    assert len(said) == 24  # every line but the internal note
    assert not [line for line in said if line.startswith("Vous a ")]  # the reader's grammar
    assert not [line for line in said if "Note interne" in line or "Vu " in line]


def test_the_back_office_sees_the_internal_note_marked(client, servicedesk, eventful):
    client.force_login(servicedesk)
    html = client.get(f"/agent/requests/{eventful.key}/").content.decode()
    note = html[html.index("timeline-item-internal"):]
    note = note[:note.index("</li>")]
    assert '<p class="internal-note-label">Note interne</p>' in note
    assert "Vu <i>ça</i>" not in html and "Vu &lt;i&gt;ça&lt;/i&gt;" in note
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">\d{1,2} \w+ \d{4} \d\d:\d\d',
                     note)


def test_a_client_reads_the_internal_steps_without_names_nor_references(
        client, client_user, servicedesk, expert, rnd, walk):
    r = walk(S.AWAITING_TRIAGE)
    r = services.request_return_to_service_desk(actor=expert, request=r, internal=False,
                                                comment="Paramètre X à corriger.")
    r = services.request_send_to_rnd(actor=servicedesk, request=r, rnd_reference="RD-4711")
    services.request_fix_available(actor=rnd, request=r, internal=False,
                                   comment="Correctif 24.1.3 livré.")
    client.force_login(client_user)
    html = client.get(f"/portal/requests/{r.key}/").content.decode()
    said = "\n".join(re.sub(r" \d{1,2} \w+ \d{4} \d\d:\d\d", "", line)
                     for line in lines(client, r))
    agent = servicedesk.get_full_name()
    for expected in (
        f"{agent} a transmis la demande à un expert",
        "Customer Service a repris la demande après l'avis de l'expert"
        .replace("'", "&#x27;") + " En attente triage → vers En cours Paramètre X à corriger.",
        f"{agent} a transmis la demande à notre équipe de développement",
        "Customer Service a reçu une correction de notre équipe de développement",
    ):
        assert expected in said, (expected, said)
    assert "Correctif 24.1.3 livré." in said
    for internal in ("RD-4711", expert.get_full_name(), rnd.get_full_name(), "Escalader",
                     "Transmettre au R&amp;D"):
        assert internal not in html, internal
    # The back office reads who did what, and the reference.
    client.force_login(servicedesk)
    agent_page = client.get(f"/agent/requests/{r.key}/").content.decode()
    assert "RD-4711" in agent_page and expert.get_full_name() in agent_page
    assert ("<strong>Vous</strong> <span>avez changé le statut (Transmettre au R&amp;D)"
            in agent_page)


@pytest.mark.parametrize(("language", "mine", "theirs"), [
    ("de", "Sie haben kommentiert", "hat «Priorität» geändert"),
    ("en", "You commented", "changed “Priority”"),
])
def test_the_readers_grammar_in_german_and_english(client, client_user, eventful, settings,
                                                   language, mine, theirs):
    Profile.objects.filter(user=client_user).update(language=language)
    client.force_login(client_user)
    said = "\n".join(lines(client, eventful))
    assert mine in said and theirs in said, said
    assert "a commenté" not in said and "avez" not in said
