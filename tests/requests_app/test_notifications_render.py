"""How the e-mails look: every kind rendered from a fixed context in French and compared with
its stored snapshot (``tests/requests_app/snapshots/emails/``; ``SPT_UPDATE_SNAPSHOTS=1``
writes them anew, then read the diff), the CSS inlined, people's Markdown rendered and
sanitised in the HTML part and left as written in the text part.

No database: the contexts are the ones ``notifications._context`` builds, written out."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from requests_app import notifications
from requests_app.models import NotificationKind as N
from tests.requests_app.email_samples import (
    BASE_URL,
    CLIENT,
    COMBINED_SECTIONS,
    COMMENT,
    CONTEXTS,
    PORTAL_URL,
)

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "emails"
UPDATE = os.environ.get("SPT_UPDATE_SNAPSHOTS", "").strip() not in {"", "0"}
TAG = re.compile(r"<[a-zA-Z/!][^>]*>")


def rendered(kind: str) -> tuple[str, str, str]:
    if kind == "combined":
        return notifications.render_combined(COMBINED_SECTIONS, CLIENT, "fr")
    return notifications.render_email(kind, CONTEXTS[kind], "fr")


def compare(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"No snapshot {path.name}: run with SPT_UPDATE_SNAPSHOTS=1 and read it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs from its snapshot: if the change is wanted, run with "
        "SPT_UPDATE_SNAPSHOTS=1 and read the diff")


KINDS = [*CONTEXTS, "combined"]


def test_every_kind_has_a_sample():
    assert set(CONTEXTS) == set(N.values)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_matches_its_snapshot(kind):
    subject, text, html = rendered(kind)
    compare(f"{kind}.html", html)
    compare(f"{kind}.txt", f"Subject: {subject}\n\n{text}")


@pytest.mark.parametrize("kind", KINDS)
def test_rendering_is_deterministic(kind):
    assert rendered(kind) == rendered(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_the_layout_lives_in_style_attributes(kind):
    _subject, _text, html = rendered(kind)
    assert "<style" not in html  # inlined, then dropped: clients that strip it lose nothing
    assert 'class="container"' in html
    container = re.search(r'<table class="container"[^>]*>', html).group(0)
    assert "max-width: 600px" in container and "width: 100%" in container
    assert re.search(r'<td class="card"[^>]*style="[^"]*background-color: #ffffff', html)
    assert '<html lang="fr">' in html


@pytest.mark.parametrize("kind", [k for k in KINDS
                                  if k not in (N.PASSWORD_RESET, N.DAILY_DIGEST)])
def test_one_clear_button_to_the_request(kind):
    _subject, text, html = rendered(kind)
    buttons = re.findall(r'<a class="button" href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert buttons == [(CONTEXTS.get(kind, CLIENT)["url"], "Voir la demande")]
    button = re.search(r'<a class="button"[^>]*>', html).group(0)
    assert "background-color: #1f5fa6" in button and "color: #ffffff" in button
    assert f"Voir la demande : {CONTEXTS.get(kind, CLIENT)['url']}" in text


def test_the_password_reset_has_its_own_button():
    _subject, _text, html = rendered(N.PASSWORD_RESET)
    assert re.findall(r'<a class="button" href="([^"]+)"[^>]*>([^<]+)</a>', html) == [
        (CONTEXTS[N.PASSWORD_RESET]["url"], "Choisir un nouveau mot de passe")]


def test_the_morning_digest_leads_to_its_queue_and_links_each_request():
    subject, text, html = rendered(N.DAILY_DIGEST)
    queue = CONTEXTS[N.DAILY_DIGEST]["url"]
    assert subject == ("[SPT] Synthèse du matin du 03/12/2026 — 4 demandes en retard, "
                       "3 à risque")
    assert re.findall(r'<a class="button" href="([^"]+)"[^>]*>([^<]+)</a>', html) == [
        (queue, "Voir la file")]
    for number in (42, 57, 61):
        assert f'<a href="{BASE_URL}/agent/requests/SPT-{number}/"' in html
        assert f"{BASE_URL}/agent/requests/SPT-{number}/" in text
    assert (html.index(">SLO dépassé<") < html.index("SPT-57")
            < html.index(">SLO à risque (seuil d’alerte passé)<"))
    assert "Résolution : reste 2 h 10 ouvrées" in html and "Non assignée" in html
    assert "Et 4 autres demandes : la file les montre toutes." in text
    assert "« logistiques » &amp; code-barres" in html and "« logistiques » & code-barres" in text
    assert "Ce matin, parmi les demandes ouvertes : 4 demandes en retard, 3 à risque." in text


def test_the_reminder_quotes_the_question_and_the_deadline():
    subject, text, html = rendered(N.CUSTOMER_REMINDER)
    assert subject == ("[SPT-42] La clôture mensuelle échoue — Relance : votre réponse est "
                       "attendue")
    assert "Notre question :" in text and "Pouvez-vous nous envoyer le **journal**" in text
    assert "<strong>journal</strong>" in html
    # 13:30 UTC is 14:30 in Zurich.
    assert "Sans nouvelles de votre part d’ici le 8 décembre 2026 14:30" in text
    confirmation = {**CONTEXTS[N.CUSTOMER_REMINDER], "confirmation": True, "reply_due_at": None}
    subject, text, _html = notifications.render_email(N.CUSTOMER_REMINDER, confirmation, "fr")
    assert subject.endswith("Relance : merci de confirmer la résolution")
    assert "Résolution proposée :" in text and "Sans nouvelles" not in text


def test_a_comment_is_rendered_markdown_in_html_and_readable_text_in_text():
    _subject, text, html = rendered(N.AGENT_COMMENT)
    assert "<strong>24.1.3</strong>" in html and "**24.1.3**" not in html
    assert "<ol" in html and "<em>test</em>" in html and ">CLOT-MENS</code>" in html
    assert 'href="https://docs.example.com/24.1.3" rel="noopener noreferrer nofollow"' in html
    # As the person wrote it, and nothing of ours in HTML.
    assert "Le correctif **24.1.3** règle l'erreur 4512 :" in text
    assert "1. installez-le sur l'environnement de *test* ;" in text
    assert "[24.1.3](https://docs.example.com/24.1.3)" in text
    assert TAG.findall(text.replace("<script>", "").replace("</script>", "")) == []


def test_a_script_in_a_comment_never_reaches_the_html():
    for kind in (N.AGENT_COMMENT, N.CONFIRMATION_REQUEST, "combined"):
        _subject, _text, html = rendered(kind)
        assert "<script" not in html.lower()
        assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html  # shown as the text it is


def test_hostile_markdown_is_sanitised(settings):
    context = {**CONTEXTS[N.AGENT_COMMENT], "comment_body": (
        '[clic](javascript:alert(1)) <img src=x onerror=alert(1)> '
        '![pixel](https://tracker.example/p.gif) <a href="#" onclick="x()">a</a>')}
    _subject, _text, html = notifications.render_email(N.AGENT_COMMENT, context, "fr")
    tags = " ".join(TAG.findall(html)).lower()
    for needle in ("javascript:", "onerror", "onclick", "<img"):
        assert needle not in tags  # left as text at most, never as markup
    # An image in a comment becomes a link: no mail client loads it from another site.
    assert '<a href="https://tracker.example/p.gif"' in html


def test_the_description_of_the_receipt_is_rendered_markdown():
    _subject, text, html = rendered(N.REQUEST_RECEIVED)
    assert "<strong>erreur 4512</strong>" in html and "<ul" in html
    assert "l'**erreur 4512**" in text


def test_the_receipt_says_so_with_the_summary_and_the_link():
    subject, text, html = rendered(N.REQUEST_RECEIVED)
    assert subject == "Nous avons bien reçu votre demande SPT-42 — La clôture mensuelle échoue"
    assert "Nous avons bien reçu votre demande SPT-42." in text
    for part in (text, html):
        assert "Support" in part and "Haute" in part and PORTAL_URL in part


def test_a_question_to_the_client_says_how_to_answer():
    _subject, text, html = rendered(N.STATUS_CHANGED)
    assert "Notre question :" in text and "Pouvez-vous nous envoyer le **journal**" in text
    assert "<strong>journal</strong>" in html
    assert "Répondez sur le portail" in html
    assert re.search(r'<span class="badge badge-awaiting_customer"[^>]*>En attente client<', html)


def test_the_combined_email_lists_each_news_in_order_under_one_button():
    subject, text, html = rendered("combined")
    assert subject == "[SPT-42] La clôture mensuelle échoue — 2 mises à jour"
    assert html.count("Bonjour Claire Dubois,") == 1 and text.count("Bonjour Claire Dubois,") == 1
    assert html.count('class="button"') == 1
    first, second = html.index("Réponse du Customer Service"), html.index("Changement de statut")
    assert first < second
    # 13:31 and 13:32 UTC, read in Zurich.
    assert "· 14:31" in html and "· 14:32" in html
    assert "## Réponse du Customer Service · 14:31" in text
    assert "## Changement de statut · 14:32" in text
    assert "Le correctif **24.1.3**" in text and "<strong>24.1.3</strong>" in html


def test_a_combined_email_with_a_confirmation_request_keeps_its_subject():
    sections = [COMBINED_SECTIONS[0],
                (N.CONFIRMATION_REQUEST, CONTEXTS[N.CONFIRMATION_REQUEST],
                 COMBINED_SECTIONS[1][2])]
    subject, _text, html = notifications.render_combined(sections, CLIENT, "fr")
    assert subject == "[SPT-42] La clôture mensuelle échoue — Merci de confirmer la résolution"
    assert "Confirmer la résolution" in html


def test_the_text_part_has_no_markup_of_ours():
    for kind in KINDS:
        context = {**CONTEXTS.get(kind, {}), "comment_body": "Texte simple."}
        if kind == "combined":
            _subject, text, _html = rendered(kind)
            text = text.replace(COMMENT, "")
        else:
            _subject, text, _html = notifications.render_email(kind, context, "fr")
        assert TAG.findall(text) == [], kind
        assert "&lt;" not in text and "&amp;" not in text and "&#" not in text, kind
