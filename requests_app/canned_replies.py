"""Canned replies ("réponses types"): their placeholders, the rules their texts follow, and
their filling for one request and one agent. No database access here: the services store the
texts, the selectors read them and the request, and both hand them to these functions.

A reply has a title and a body in French (required) and, optionally, in German and English,
each title with its body. Its body may name placeholders, ``{{client.nom}}``: the same names
in every language, filled when the reply is inserted, with the values of the request and of
the agent inserting it, in the language of the request's customer (the reporter), French when
the reply has no text in that language. The placeholders are replaced in one pass, never
evaluated as a template: a request title that reads ``{{agent.nom}}`` stays as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app.exceptions import InvalidInput
from requests_app.models import Profile
from requests_app.people import person_name
from requests_app.search import search_normalise
from requests_app.workflow import RequestStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_stubs_ext import StrOrPromise

    from requests_app.models import Request

# The languages a reply is written in, French first: the one it must have.
LANGUAGES: tuple[str, ...] = tuple(settings.MODELTRANSLATION_LANGUAGES)
REFERENCE_LANGUAGE = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
TITLE_MAX_LENGTH = 120
# ``{{ name }}``, spaces inside the braces allowed; the name itself has none.
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")


@dataclass(frozen=True)
class FillContext:
    """What the placeholders are filled from."""

    request: Request
    customer: User
    agent: User
    language: str


def _first_name(user: User) -> str:
    return user.first_name.strip() or person_name(user)


def _customer_organisation(context: FillContext) -> str:
    return context.request.organisation.name


def _request_link(context: FillContext) -> str:
    # The customer's page of the request: the reply is written to them.
    return f"{settings.PORTAL_BASE_URL}{reverse('portal:request', args=[context.request.key])}"


def _status(context: FillContext) -> str:
    return str(RequestStatus(context.request.status).label)


@dataclass(frozen=True)
class Placeholder:
    name: str
    label: StrOrPromise
    value: Callable[[FillContext], str]

    @property
    def code(self) -> str:
        return "{{" + self.name + "}}"


PLACEHOLDERS: dict[str, Placeholder] = {p.name: p for p in (
    Placeholder("client.prenom", gettext_lazy("Prénom du client (le demandeur)"),
                lambda c: _first_name(c.customer)),
    Placeholder("client.nom", gettext_lazy("Nom complet du client"),
                lambda c: person_name(c.customer)),
    Placeholder("client.organisation", gettext_lazy("Organisation du client"),
                _customer_organisation),
    Placeholder("demande.numero", gettext_lazy("Numéro de la demande (SPT-42)"),
                lambda c: c.request.key),
    Placeholder("demande.titre", gettext_lazy("Titre de la demande"),
                lambda c: c.request.title),
    Placeholder("demande.statut", gettext_lazy("Statut de la demande, dans la langue du texte"),
                _status),
    Placeholder("demande.lien", gettext_lazy("Lien vers la demande dans le portail client"),
                _request_link),
    Placeholder("agent.prenom", gettext_lazy("Votre prénom (la personne qui insère)"),
                lambda c: _first_name(c.agent)),
    Placeholder("agent.nom", gettext_lazy("Votre nom complet"),
                lambda c: person_name(c.agent)),
)}


@dataclass(frozen=True)
class CannedReplyTexts:
    """A reply's title and body per language ("" where it has none)."""

    titles: Mapping[str, str]
    bodies: Mapping[str, str]

    @classmethod
    def of(cls, reply: Any) -> CannedReplyTexts:
        """The texts of a stored reply (its modeltranslation columns)."""
        return cls(
            titles={code: getattr(reply, f"title_{code}") or "" for code in LANGUAGES},
            bodies={code: getattr(reply, f"body_{code}") or "" for code in LANGUAGES},
        )

    @property
    def languages(self) -> list[str]:
        """The languages the reply is written in, in the order of ``LANGUAGES``."""
        return [code for code in LANGUAGES if self.titles.get(code) and self.bodies.get(code)]

    def language_for(self, language: str) -> str:
        """The language of the text inserted for a customer who reads ``language``."""
        return language if language in self.languages else REFERENCE_LANGUAGE


def language_name(code: str) -> str:
    """A language by its own name ("Deutsch"), as the language switch shows it."""
    return str(dict(Profile.Language.choices).get(code, code))


def placeholders_unknown(text: str) -> list[str]:
    """The ``{{…}}`` of ``text`` that name no placeholder, in order, each once."""
    unknown: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        if match[1] not in PLACEHOLDERS and match[0] not in unknown:
            unknown.append(match[0])
    return unknown


def canned_reply_texts_check(*, titles: Mapping[str, str], bodies: Mapping[str, str],
                             body_max_length: int) -> CannedReplyTexts:
    """The texts as they are stored (trimmed, one kind of line break), or ``InvalidInput`` on
    the field at fault: French title and body required, each other language both or none,
    lengths, and no placeholder that does not exist."""
    clean_titles = {code: " ".join((titles.get(code) or "").split()) for code in LANGUAGES}
    clean_bodies = {code: (bodies.get(code) or "").replace("\r\n", "\n").strip()
                    for code in LANGUAGES}
    for code in LANGUAGES:
        title, body = clean_titles[code], clean_bodies[code]
        if code == REFERENCE_LANGUAGE and not title:
            raise InvalidInput(_("Donnez un titre : le français est obligatoire."),
                               field=f"title_{code}")
        if code == REFERENCE_LANGUAGE and not body:
            raise InvalidInput(_("Écrivez le texte : le français est obligatoire."),
                               field=f"body_{code}")
        if title and not body:
            raise InvalidInput(_("Écrivez aussi le texte de cette langue, ou videz son "
                                 "titre."), field=f"body_{code}")
        if body and not title:
            raise InvalidInput(_("Donnez aussi le titre de cette langue, ou videz son "
                                 "texte."), field=f"title_{code}")
        if len(title) > TITLE_MAX_LENGTH:
            raise InvalidInput(_("Le titre dépasse %(max)d caractères.")
                               % {"max": TITLE_MAX_LENGTH}, field=f"title_{code}")
        if len(body) > body_max_length:
            raise InvalidInput(
                _("Le texte dépasse %(max)d caractères (%(length)d).")
                % {"max": body_max_length, "length": len(body)}, field=f"body_{code}")
        for field, text in ((f"title_{code}", title), (f"body_{code}", body)):
            unknown = placeholders_unknown(text)
            if unknown:
                raise InvalidInput(
                    _("Champ inconnu : %(unknown)s. Champs possibles : %(known)s.") % {
                        "unknown": ", ".join(unknown),
                        "known": ", ".join(p.code for p in PLACEHOLDERS.values())},
                    field=field)
    return CannedReplyTexts(titles=clean_titles, bodies=clean_bodies)


def canned_reply_search_text(texts: CannedReplyTexts) -> str:
    """What a search matches: every language's title, then every body, normalised."""
    parts = [texts.titles[code] for code in LANGUAGES] + [texts.bodies[code]
                                                          for code in LANGUAGES]
    return "\n".join(search_normalise(part) for part in parts if part)


def placeholders_fill(text: str, context: FillContext) -> str:
    """``text`` with each known placeholder replaced by its value (one pass); an unknown one
    (a reply written before a placeholder was withdrawn) is left as written."""
    values: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        placeholder = PLACEHOLDERS.get(match[1])
        if placeholder is None:
            return match[0]
        if placeholder.name not in values:
            values[placeholder.name] = placeholder.value(context)
        return values[placeholder.name]

    with translation.override(context.language):
        return _PLACEHOLDER.sub(replace, text)


@dataclass(frozen=True)
class FilledReply:
    """A reply as it is inserted: its title and body in ``language``, placeholders filled;
    ``translated`` is False when the customer reads another language it has no text in."""

    title: str
    body: str
    language: str
    translated: bool

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "body": self.body, "language": self.language,
                "language_name": self.language_name, "translated": self.translated}


def canned_reply_fill(*, texts: CannedReplyTexts, request: Request, customer: User,
                      agent: User, customer_language: str) -> FilledReply:
    language = texts.language_for(customer_language)
    context = FillContext(request=request, customer=customer, agent=agent, language=language)
    return FilledReply(
        title=placeholders_fill(texts.titles[language], context),
        body=placeholders_fill(texts.bodies[language], context),
        language=language,
        translated=language == customer_language,
    )
