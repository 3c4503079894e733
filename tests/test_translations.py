"""The German and English catalogues cover the whole interface: every French source string has
a checked translation that keeps its placeholders, the catalogues hold every string the code
and templates ask for, and pages really switch language (cookie or the person's profile)."""

from __future__ import annotations

import importlib.util
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real
from django.utils.translation.template import templatize

from requests_app.models import Profile
from requests_app.permissions import Role
from requests_app.workflow import RequestStatus as S
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["de", "en"]

# %(name)s / %(n)02d / %s, "%%", and HTML tags: what a translation must carry over unchanged.
PLACEHOLDER = re.compile(r"%%|%(?:\([^)]+\))?[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGc]|<[^>]+>")

# Where makemessages looks (manage.py makemessages --ignore .venv, var, node_modules, tests).
PYTHON_SOURCES = ["portal", "requests_app", "slo"]
PYTHON_KEYWORDS = {
    "_": None, "gettext": None, "gettext_lazy": None, "gettext_noop": None,
    "ngettext": (1, 2), "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3), "npgettext_lazy": ((1, "c"), 2, 3),
}
TEMPLATE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
                     "npgettext": ((1, "c"), 2, 3)}


def _mo_missing_or_stale() -> bool:
    for po in (ROOT / "locale").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            return True
    return False


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """A fresh clone has no .mo (they are git-ignored and built by `make`): build them here so
    that this file passes on its own, and make Django forget catalogues it loaded before."""
    if not _mo_missing_or_stale():
        return
    spec = importlib.util.spec_from_file_location(
        "compile_messages", ROOT / "scripts" / "compile_messages.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
    # What django.test.signals does when LOCALE_PATHS changes.
    trans_real._translations = {}
    trans_real._default = None
    trans_real.translation_catalog_exists.cache_clear()


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    """A page request leaves its language active in this thread: later tests expect French."""
    yield
    translation.deactivate()


def _catalog(language: str) -> Catalog:
    with (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return read_po(handle)


def _tokens(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


def _msgids_in_sources() -> dict[tuple[str, str | None], str]:
    """Every (msgid, context) the Python code and the templates ask gettext for, with where."""
    found: dict[tuple[str, str | None], str] = {}

    def add(messages, origin: str) -> None:
        for lineno, message, _comments, context in messages:
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault((msgid, context), f"{origin}:{lineno}")

    for folder in PYTHON_SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            with path.open("rb") as handle:
                add(extract("python", handle, keywords=PYTHON_KEYWORDS),
                    str(path.relative_to(ROOT)))
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        # templatize keeps the template's layout, whose indentation Python's tokenizer
        # rejects; every gettext call stays on its own line without it.
        code = "\n".join(line.lstrip() for line in
                         templatize(path.read_text(), origin=str(path)).splitlines())
        add(extract("python", io.BytesIO(code.encode()), keywords=TEMPLATE_KEYWORDS),
            str(path.relative_to(ROOT)))
    return found


# --- the catalogues -------------------------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_has_a_checked_translation(language):
    problems = []
    catalog = _catalog(language)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        if len(ids) == 1:
            if _tokens(strings[0]) != _tokens(ids[0]):
                problems.append(f"placeholders: {ids[0]!r} -> {strings[0]!r}")
        else:
            # nplurals=2 in de and en: form 0 is the singular, form 1 the plural.
            if len(strings) != 2:
                problems.append(f"plural forms: {ids[0]!r} has {len(strings)}")
                continue
            for msgid, msgstr in zip(ids, strings, strict=True):
                if _tokens(msgstr) != _tokens(msgid):
                    problems.append(f"placeholders: {msgid!r} -> {msgstr!r}")
    assert not problems, "\n".join(problems)
    assert len(catalog) > 700


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogues_hold_every_string_of_the_interface(language):
    """A string added to a template or to the code without running makemessages (and
    translating it) would show in French to German and English speakers."""
    catalog = _catalog(language)
    asked = _msgids_in_sources()
    assert len(asked) > 700  # the extraction found the interface, not a handful of strings
    missing = []
    for (msgid, context), origin in sorted(asked.items(), key=lambda i: i[1]):
        entry = catalog.get(msgid, context)
        strings = entry.string if entry is not None else ""
        strings = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{origin}: {msgid!r}")
    assert not missing, "run makemessages and translate:\n" + "\n".join(missing)


def test_german_is_swiss_german():
    """Swiss German writes "ss", never "ß" (schliessen, Grösse)."""
    offending = [message.id for message in _catalog("de") if message.id and any(
        "ß" in s for s in (message.string if isinstance(message.string, tuple)
                           else (message.string,)))]
    assert not offending


@pytest.mark.parametrize(("language", "expected"), [
    ("de", {"Ouvert": "Offen", "Qualifié": "Qualifiziert", "En cours": "In Bearbeitung",
            "En attente triage": "Wartet auf Triage", "En attente R&D": "Wartet auf F&E",
            "En attente client": "Wartet auf Kunde", "Fermé": "Geschlossen"}),
    ("en", {"Ouvert": "Open", "Qualifié": "Qualified", "En cours": "In progress",
            "En attente triage": "Awaiting triage", "En attente R&D": "Awaiting R&D",
            "En attente client": "Awaiting customer", "Fermé": "Closed"}),
])
def test_the_statuses_use_the_product_vocabulary(language, expected):
    catalog = _catalog(language)
    assert {label: catalog.get(label).string for label in expected} == expected
    assert {str(label) for label in S.labels} == set(expected)


# --- pages ----------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("language", "heading", "button", "french"), [
    ("de", "Anmeldung", "Anmelden", "Se connecter"),
    ("en", "Log in", "Password", "Mot de passe"),
])
def test_login_page_speaks_the_chosen_language(client, language, heading, button, french):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}"' in html
    assert heading in html and button in html
    assert french not in html


@pytest.mark.django_db
def test_login_page_is_french_by_default(client):
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="fr"' in html and "Se connecter" in html


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "status", "title", "filters"), [
    ("de", "Offen", "Meine Anfragen", "Alle Status"),
    ("en", "Open", "My requests", "All statuses"),
])
def test_portal_list_shows_translated_status(client, client_user, language, status, title,
                                             filters):
    factories.make_request(client_user)
    Profile.objects.filter(user=client_user).update(language=language)
    client.force_login(client_user)
    html = client.get(reverse("portal:home")).content.decode()
    assert status in html and title in html and filters in html
    assert "Mes demandes" not in html and "Ouvert<" not in html


@pytest.mark.django_db
def test_a_signed_in_persons_profile_wins_over_a_stale_cookie(client, org_a):
    """The cookie left by another person or an earlier visit does not decide: the profile
    does, and the answer brings the cookie in step for the sign-in page after sign-out."""
    person = factories.make_client(org_a, "kunde", language="de")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(person)
    response = client.get(reverse("portal:home"))
    assert '<html lang="de"' in response.content.decode()
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"


@pytest.mark.django_db
def test_profile_language_applies_without_cookie(client, org_a):
    person = factories.make_client(org_a, "kunde", language="de")
    factories.make_request(person)
    client.force_login(person)
    html = client.get(reverse("portal:home")).content.decode()
    assert '<html lang="de"' in html and "Meine Anfragen" in html and "Offen" in html


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "texts"), [
    ("de", ["Warteschlangen", "Zu qualifizieren", "Alle offenen Anfragen"]),
    ("en", ["Queues", "To qualify", "All open requests"]),
])
def test_agent_queues_speak_the_chosen_language(client, client_user, language, texts):
    agent = factories.make_agent(Role.FRONTDESK, Role.SERVICEDESK, username="agent.i18n")
    factories.make_request(client_user)
    Profile.objects.update_or_create(user=agent, defaults={"language": language})
    client.force_login(agent)
    index = client.get(reverse("agent:home")).content.decode()
    queue = client.get(reverse("agent:queue", args=["a-qualifier"]))
    assert all(text in index for text in texts), texts
    assert queue.status_code == 200
    assert ("Offen" if language == "de" else "Open") in queue.content.decode()
