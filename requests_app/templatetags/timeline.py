"""``{% timeline_items entries viewer %}``: the history's lines, built in Python.

A request page shows up to thirty lines of about sixty template nodes each (a branch per kind
of event, badges, links, sizes); through the template engine they were the page's costliest
part after its queries, as the queue rows were (``agent_queue``). The markup is the one the
history template had; every value is escaped, the comments' stored HTML is already safe.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from requests_app.attachment_types import named_type, preview_kind
from requests_app.models import EventKind
from requests_app.permissions import is_back_office
from requests_app.selectors.reference import detail_text
from requests_app.templatetags.row_html import escaped as _e
from requests_app.templatetags.row_html import local_text, url_of
from requests_app.templatetags.spt import (
    field_label,
    person,
    status_badge_html,
    timeline_variant,
    transition_label,
)
from slo.display import clock_label

register = template.Library()
K = EventKind

# What the line says after the actor's name, for the kinds that name nothing else
# (translated when shown: the reader's language): as said of someone, and of the reader
# ("Vous avez commenté", "Sie haben kommentiert", "You commented").
_PLAIN = {
    K.COMMENTED: (gettext_noop("a commenté"), gettext_noop("avez commenté")),
    K.INTERNAL_NOTE: (gettext_noop("a ajouté une note interne"),
                      gettext_noop("avez ajouté une note interne")),
    K.ATTACHMENT_ADDED: (gettext_noop("a ajouté une pièce jointe"),
                         gettext_noop("avez ajouté une pièce jointe")),
    K.MUTED: (gettext_noop("a désactivé ses notifications pour cette demande"),
              gettext_noop("avez désactivé vos notifications pour cette demande")),
    K.UNMUTED: (gettext_noop("a réactivé ses notifications pour cette demande"),
                gettext_noop("avez réactivé vos notifications pour cette demande")),
    K.CONFIRMATION_REQUESTED: (gettext_noop("a demandé la confirmation de la résolution"),
                               gettext_noop("avez demandé la confirmation de la résolution")),
    K.CONFIRMED: (gettext_noop("a confirmé la résolution"),
                  gettext_noop("avez confirmé la résolution")),
    K.DENIED: (gettext_noop("a indiqué que la solution ne convient pas"),
               gettext_noop("avez indiqué que la solution ne convient pas")),
}


# The steps inside the vendor, as a client reads them: who did it and how (an expert, R&D,
# their references) is the vendor's business; that it moved on is the client's.
_CUSTOMER_STEPS = {
    "escalate_to_expert": gettext_noop("a transmis la demande à un expert"),
    "return_to_service_desk": gettext_noop("a repris la demande après l'avis de l'expert"),
    "send_to_rnd": gettext_noop("a transmis la demande à notre équipe de développement"),
    "fix_available": gettext_noop("a reçu une correction de notre équipe de développement"),
    "take_back": gettext_noop("a repris la demande : votre réponse n'est plus attendue"),
}
def _attachment_url(token: str) -> str:
    return _e(url_of("attachment", "token", token, marker="TOKEN"))


def _attachment_link(token: str, name: str, size: int, content_type: str,
                     texts: dict[str, str]) -> str:
    """A history line's file: its download, and for an image or a PDF a link to look at it
    (the preview view checks the bytes and sandboxes what it serves)."""
    html = (f'<a href="{_attachment_url(token)}" download>{_e(name)}</a> '
            f'<span class="text-body-secondary">({_e(filesizeformat(size))})</span>')
    if preview_kind(content_type):
        preview = _e(url_of("attachment_preview", "token", token, marker="TOKEN"))
        html += (f' · <a href="{preview}">{texts["preview"]}<span class="visually-hidden"> '
                 f'{_e(name)}</span></a>')
    return html


def _said(text: str, **values: Any) -> str:
    """A sentence (translated by the caller, so that makemessages finds it) with its values
    escaped in it."""
    return _e(text) % {key: _e(value) for key, value in values.items()}


def _what(e: Any, you: bool, for_customer: bool = False) -> str:
    """What the line says after its actor's name; ``you``: the reader is the actor;
    ``for_customer``: a client reads it."""
    payload = e.payload or {}
    kind = e.kind
    if for_customer and kind == K.STATUS_CHANGED and payload.get("transition") in (
            _CUSTOMER_STEPS):
        return _e(_(_CUSTOMER_STEPS[payload["transition"]]))
    if kind == K.CREATED:
        if payload.get("on_behalf_of"):
            text = _said(_("avez créé la demande pour le compte de %(name)s") if you
                         else _("a créé la demande pour le compte de %(name)s"),
                         name=payload["on_behalf_of"])
        else:
            text = _e(_("avez créé la demande") if you else _("a créé la demande"))
        if payload.get("follows_up"):
            text += " " + _said(_("(suite de %(key)s)"), key=payload["follows_up"])
        return text
    if kind == K.STATUS_CHANGED:
        if payload.get("transition") == "customer_reply":
            return _e(_("avez répondu : la demande revient au Customer Service") if you
                      else _("a répondu : la demande revient au Customer Service"))
        text = _said(_("avez changé le statut (%(action)s)") if you
                     else _("a changé le statut (%(action)s)"), action=transition_label(
                         payload.get("transition", ""), payload.get("label", "")))
        if payload.get("automatic"):
            # Done by the portal in the person's name (``services.automation``).
            text += " — " + _e(_("automatiquement, le délai de réponse étant passé"))
        return text
    if kind == K.CUSTOMER_REMINDED:
        return _e(_("vous a envoyé une relance : votre réponse est attendue") if for_customer
                  else _("a envoyé une relance au client : sa réponse est attendue"))
    if kind in _PLAIN:
        return _e(_(_PLAIN[kind][1 if you else 0]))
    if kind == K.FIELD_CHANGED:
        return _said(_("avez modifié « %(field)s »") if you else _("a modifié « %(field)s »"),
                     field=capfirst(field_label(payload.get("field", ""),
                                                payload.get("label", ""))))
    if kind == K.ASSIGNED:
        return _said(_("avez attribué la demande à %(name)s") if you
                     else _("a attribué la demande à %(name)s"), name=payload.get("new", ""))
    if kind == K.PARTICIPANT_ADDED:
        return _said(_("avez ajouté %(name)s aux participants") if you
                     else _("a ajouté %(name)s aux participants"), name=payload.get("user", ""))
    if kind == K.PARTICIPANT_REMOVED:
        return _said(_("avez retiré %(name)s des participants") if you
                     else _("a retiré %(name)s des participants"), name=payload.get("user", ""))
    if kind == K.SATISFACTION_RATED:
        return _said(_("avez noté votre satisfaction : %(rating)s/5") if you
                     else _("a noté sa satisfaction : %(rating)s/5"),
                     rating=payload.get("rating", ""))
    clock = clock_label(payload.get("clock", ""))
    if kind == K.SLO_WARNING:
        return _said(_("SLO bientôt dépassé (%(clock)s)"), clock=clock)
    if kind == K.SLO_BREACHED:
        return _said(_("SLO dépassé (%(clock)s)"), clock=clock)
    if kind == K.SLO_BREACH_LIFTED:
        return _said(_("SLO de nouveau dans les délais (%(clock)s) : le nouvel objectif "
                       "n'est pas dépassé"), clock=clock)
    return _e(e.get_kind_display())


@lru_cache(maxsize=8)
def _texts(language: str | None) -> dict[str, str]:
    return {"to": _e(_("vers")), "becomes": _e(_("devient")), "empty": _e(_("(vide)")),
            "internal": _e(_("Note interne")), "attachment": _e(_("Pièce jointe :")),
            "preview": _e(_("Aperçu"))}


def _detail_in_reader_language(payload: dict[str, Any], side: str) -> str:
    """A changed detail's old or new value named in the reader's language; the text recorded
    with the change for a row deleted since, or a change recorded before values were kept."""
    if f"{side}_value" in payload:
        named = detail_text(payload.get("field", ""), payload[f"{side}_value"])
        if named:
            return named
    return payload.get(side) or ""


def _body(entry: Any, texts: dict[str, str]) -> str:
    e = entry.event
    payload = e.payload or {}
    parts = []
    if e.kind == K.STATUS_CHANGED and e.from_status:
        resolution = ""
        if payload.get("resolution"):
            said = _said(_("Résolution : %(resolution)s"), resolution=payload["resolution"])
            resolution = f'<span class="ms-1">{said}</span>'
        parts.append(
            f'<p class="mb-2">{status_badge_html(e.from_status)} <span aria-hidden="true">→'
            f'</span><span class="visually-hidden">{texts["to"]}</span> '
            f'{status_badge_html(e.to_status)}{resolution}</p>')
    elif e.kind == K.FIELD_CHANGED:
        old, new = (_e(_detail_in_reader_language(payload, side)) or texts["empty"]
                    for side in ("old", "new"))
        parts.append(
            f'<p class="mb-0">{old} <span aria-hidden="true">→</span><span '
            f'class="visually-hidden">{texts["becomes"]}</span> <strong>{new}</strong></p>')
    elif e.kind == K.ATTACHMENT_ADDED:
        name = payload.get("name", "")
        parts.append('<p class="mb-0">' + _attachment_link(
            payload.get("token", ""), name, payload.get("size", 0), named_type(name),
            texts) + '</p>')
    if entry.show_comment:
        if e.comment.is_internal:
            parts.append(f'<p class="internal-note-label">{texts["internal"]}</p>')
        parts.append(f'<div class="spt-markdown">{e.comment.body_rendered}</div>')
        if entry.attachments:
            items = "".join(
                f'<li><span class="text-body-secondary">{texts["attachment"]}</span> '
                + _attachment_link(a.token, a.original_name, a.size, a.content_type, texts)
                + '</li>' for a in entry.attachments)
            parts.append(f'<ul class="list-unstyled mt-2 mb-0 small">{items}</ul>')
    return "".join(parts)


def _has_body(entry: Any) -> bool:
    e = entry.event
    return bool(
        (e.kind == K.STATUS_CHANGED and e.from_status
         and (e.payload or {}).get("transition") != "customer_reply")
        or e.kind in (K.FIELD_CHANGED, K.ATTACHMENT_ADDED) or entry.show_comment)


@register.simple_tag
def timeline_items(entries: list, viewer: Any) -> SafeString:
    texts = _texts(get_language())
    for_customer = viewer is None or not is_back_office(viewer)
    lines = []
    for entry in entries:
        e = entry.event
        if entry.show_comment:
            variant = "internal" if e.comment.is_internal else "comment"
        else:
            variant = timeline_variant(e)
        you = viewer is not None and e.actor_id is not None and e.actor_id == viewer.pk
        actor = _e(capfirst(person(e.actor, viewer))) if e.actor else "SPT Portal"
        created = timezone.localtime(e.created_at)
        body = f'<div class="timeline-body">{_body(entry, texts)}</div>' if _has_body(
            entry) else ""
        lines.append(
            f'<li class="timeline-item timeline-item-{variant}"><div class="timeline-meta">'
            f"<strong>{actor}</strong> <span>{_what(e, you, for_customer)}</span> "
            f'<time datetime="{created.isoformat()}">'
            f'{_e(local_text(created, "DATETIME_FORMAT", is_local=True))}</time></div>{body}</li>')
    return mark_safe("".join(lines))  # noqa: S308 - every value above is escaped
