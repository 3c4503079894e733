"""Hostile input against every URL and form: no answer is a 5xx, and a refusal writes nothing.

The URLs come from the resolver (a new page is fuzzed without touching this file), their path
converters filled with real values or hostile ones; the fields posted are those of the
portal's and the back office's forms (by URL, from the form classes), of the admin pages we
define (read from the pages themselves), or any name at all. Values: NUL, bytes that are not
UTF-8, huge, negative and non-ASCII numbers, very long strings, SQL and HTML metacharacters,
empty and blank strings, several values where one is expected, and real values in between so
that the forms get past their first field.

Each example runs in a savepoint rolled back afterwards, as each role in turn, and checks:

* the status is below 500;
* a request carrying a NUL or bytes that are not UTF-8 (in its path, query string, field
  names, values or file names) is a 400 (``requests_app.http_input``);
* a 4xx leaves the requests, comments, history, e-mails, attachments, people and SLO clocks
  (and, for the admin, the configuration it edits) exactly as they were.

``SPT_FUZZ_SCALE`` scales the run (the default takes under a minute on SQLite); the number
of cases run is printed at the end of the session ("fuzz: …") and recorded as a property of
each test (``fuzz_cases`` in the JUnit XML).
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from requests_app import services
from requests_app.forms import agent as agent_forms
from requests_app.forms import canned_replies as canned_forms
from requests_app.forms import portal as portal_forms
from requests_app.models import (
    Attachment,
    CannedReply,
    Comment,
    ErpModule,
    NotificationMute,
    Organisation,
    OutboundMessage,
    Participant,
    Priority,
    Request,
    RequestEvent,
    RequestType,
)
from requests_app.selectors.queues import QUEUES, SORTS
from requests_app.selectors.reference import reference_forget
from requests_app.workflow import TRANSITIONS, RequestStatus
from slo.forms import SloReportFilterForm
from slo.models import SloClock
from tests import factories

User = get_user_model()

# Cases per URL, per ModelAdmin, and for the raw bytes test; SPT_FUZZ_SCALE multiplies them
# (a longer run than CI's: SPT_FUZZ_SCALE=10).
SCALE = float(os.environ.get("SPT_FUZZ_SCALE", "1"))
PER_ROUTE = max(1, int(12 * SCALE))
PER_ADMIN = max(1, int(18 * SCALE))
RAW_BYTES = max(1, int(100 * SCALE))
FUZZ = settings(
    max_examples=RAW_BYTES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a red CI run is a red local run
    database=None,
    suppress_health_check=[
        # One world (people, requests) for all examples; each runs in a rolled-back savepoint.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

CASES: Counter[str] = Counter()
ANSWERS: Counter[str] = Counter()  # by class of status: "2xx", "3xx", "4xx"


class _FuzzReport:
    """Prints how many cases the fuzz tests ran, in the terminal summary."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if CASES:
            details = ", ".join(f"{name} {count}" for name, count in sorted(CASES.items()))
            answers = ", ".join(f"{name} {count}" for name, count in sorted(ANSWERS.items()))
            terminalreporter.write_line(
                f"fuzz: {sum(CASES.values())} cases ({details}); answers: {answers}")


@pytest.fixture(autouse=True, scope="module")
def _fuzz_report(pytestconfig: pytest.Config) -> None:
    if not pytestconfig.pluginmanager.has_plugin("spt-fuzz-report"):
        pytestconfig.pluginmanager.register(_FuzzReport(), "spt-fuzz-report")


@pytest.fixture(autouse=True)
def _quiet_logs() -> Iterator[None]:
    """Thousands of refusals logged one by one (4xx warnings, login records) would bury a
    failure's report; errors are still logged."""
    loggers = [logging.getLogger(name) for name in ("django.request", "axes", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


# ------------------------------------------------------------------------ hostile values

HOSTILE_TEXT = [
    "", " ", "\t\n \r\n", "\x00", "a\x00b", "SPT-1\x00",
    "²", "¹²³", "²:open", "١٢٣", "١:open", "１２", "SPT-²", "SPT-١", "Ⅻ",
    "0", "-1", "-0", "+1", "1.5", "1e400", "NaN", "inf", "0x1F", "1_000",
    "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
    "99999999999999999999999", "-99999999999999999999999", "9" * 5000,
    "99999999999999999999999:open", "1:bogus", ":", "1:", ":open",
    "SPT-0", "SPT-999999999", "SPT-99999999999", "spt-1", " SPT-1 ", "SPT--1",
    "' OR '1'='1' --", "\"; DROP TABLE requests_app_request; --", "%", "%%", "_", "\\",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{ 7|add:7 }}", "{% now %}",
    "%00", "%ff", "../../etc/passwd", "\u202egnp.exe", "\ufeff", "\ufffd", "🙂" * 10,
    "x" * 300, "é" * 3000, "x" * 25000,
    "2020-02-30", "0000-00-00", "9999-12-31", "10000-01-01", "-2020-01-01", "1900-01-01",
    "on", "true", "null", "None", "[]", "{}", "me", "none",
]
INVALID_BYTES = [b"\xff", b"\xc3", b"ab\xfe", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80abc",
                 b"\x00", b"ok\x00"]


@dataclass
class World:
    """The people and the data the examples act on."""

    clients: dict[str, Client]
    path_values: dict[str, list[str]]
    valid_values: list[str]
    fields_by_url: dict[str, list[str]]
    all_fields: list[str]
    admin_fields: dict[str, list[str]] = field(default_factory=dict)


# A canned reply's form builds its fields per language.
CANNED_REPLY_FIELDS = ["shared", "revision", *(f"{name}_{code}" for name in ("title", "body")
                                              for code in ("fr", "de", "en"))]


def _prefixed(form_class: type, prefix: str = "") -> list[str]:
    names = list(form_class.base_fields)
    return [f"{prefix}-{name}" if prefix else name for name in names]


def _fields_by_url() -> dict[str, list[str]]:
    """The fields each page reads, from the forms themselves (plus the few read by hand)."""
    transition_fields = sorted({
        name for transition, form in agent_forms.TRANSITION_FORMS.items()
        for name in _prefixed(form, transition)
    })
    return {
        "portal:home": [*_prefixed(portal_forms.RequestFilterForm), "page"],
        "portal:request_new": ["follows_up"],
        "portal:request_create": [*_prefixed(portal_forms.RequestCreateForm), "follows_up"],
        "portal:request": ["before"],
        "portal:request_comment": _prefixed(portal_forms.CommentForm, "comment"),
        "portal:request_confirm": _prefixed(portal_forms.ResolutionConfirmForm, "confirm"),
        "portal:request_deny": _prefixed(portal_forms.ResolutionDenyForm, "deny"),
        "portal:request_withdraw": _prefixed(portal_forms.WithdrawForm, "withdraw"),
        "portal:request_participant_add": ["participant-user"],
        "portal:request_participant_remove": ["remove-user"],
        "agent:queue_nav": ["current"],
        "agent:queue": [*_prefixed(agent_forms.QueueFilterForm), "page", "bulk"],
        "agent:bulk": [*_prefixed(agent_forms.BulkActionForm, "bulk"), "next", "page"],
        "agent:request": ["before", "open", "from", "suivante"],
        "agent:request_changes": ["since", "from"],
        "agent:transition": transition_fields,
        "agent:comment": _prefixed(agent_forms.AgentCommentForm, "comment"),
        "agent:details": _prefixed(agent_forms.DetailsForm, "details"),
        "agent:assign": ["assign-assignee"],
        "agent:mute": ["muted"],
        "agent:licence_new": _prefixed(agent_forms.LicenceForm),
        "agent:canned_replies": [*_prefixed(canned_forms.CannedReplyFilterForm), "page"],
        "agent:canned_reply_new": CANNED_REPLY_FIELDS,
        "agent:canned_reply_edit": CANNED_REPLY_FIELDS,
        "agent:canned_reply_delete": ["revision"],
        "agent:canned_reply_pick": _prefixed(canned_forms.CannedReplyPickForm),
        "reports:slo": _prefixed(SloReportFilterForm),
        "reports:slo_csv": _prefixed(SloReportFilterForm),
        "login": ["username", "password", "next"],
        "set_language": ["language", "next"],
        "password_reset": ["email"],
        "password_change": ["old_password", "new_password1", "new_password2"],
    }


def _routes() -> list[tuple[str, str]]:
    """Every URL of the site but the Django admin's (fuzzed apart, for our ModelAdmins):
    (name, route with its converters)."""

    def walk(patterns: list, prefix: str, namespace: str | None) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern),
                                pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
                yield name, prefix + str(pattern.pattern)

    return sorted(set(walk(get_resolver().url_patterns, "/", None)))


ROUTES = _routes()
_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _our_model_admins() -> list[tuple[Any, admin.ModelAdmin]]:
    return sorted(
        ((model, model_admin) for model, model_admin in admin.site._registry.items()
         if type(model_admin).__module__ in {"requests_app.admin", "slo.admin"}),
        key=lambda item: item[0]._meta.label,
    )


_NAME_ATTR = re.compile(r'name="([^"]+)"')
_QUERY_PARAM = re.compile(r"[?&](?:amp;)?([A-Za-z0-9_]+)=")


def _scraped_names(client: Client, url: str) -> set[str]:
    response = client.get(url)
    if response.status_code != 200:
        return set()
    html = response.content.decode()
    return set(_NAME_ATTR.findall(html)) | set(_QUERY_PARAM.findall(html))


@pytest.fixture
def world(db, walk, client_user, colleague, outsider, frontdesk, daily, servicedesk, expert,
          rnd, sales, tmp_path, settings) -> World:
    settings.MEDIA_ROOT = tmp_path
    people = {"client": client_user, "colleague": colleague, "outsider": outsider,
              "frontdesk": frontdesk, "daily": daily, "servicedesk": servicedesk,
              "expert": expert, "rnd": rnd, "sales": sales}
    superuser = User.objects.create_superuser("root", "root@example.test", "demo")
    people["admin"] = superuser
    requests = [walk(status) for status in (RequestStatus.OPEN, RequestStatus.IN_PROGRESS,
                                            RequestStatus.AWAITING_CUSTOMER)]
    waiting = requests[-1]
    services.participant_add(actor=client_user, request=waiting, user=colleague)
    comment = services.comment_add(
        actor=client_user, request=waiting, body="Voici le journal.",
        attachments=[SimpleUploadedFile("journal.txt", b"ligne 1\n", "text/plain")])
    factories.make_request(outsider, title="Autre organisation")
    licence = factories.make_licence(sales, client_user)
    canned = [factories.make_canned_reply(servicedesk, title="Partagée", shared=True),
              factories.make_canned_reply(frontdesk, title="Personnelle")]
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, person in people.items():
        clients[role] = Client(raise_request_exception=False)
        clients[role].force_login(person)
    attachment = Attachment.objects.get(comment=comment)
    path_values = {
        "key": [r.key for r in [*requests, licence]] + [str(waiting.number)],
        "queue": [queue.slug for queue in QUEUES],
        "name": sorted(TRANSITIONS),
        "slot": [*sorted(TRANSITIONS), "details", "assign"],
        "type_code": list(RequestType.objects.values_list("code", flat=True)),
        "token": [attachment.token],
        "reply_id": [str(reply.pk) for reply in canned],
    }
    numbers = [str(r.number) for r in [*requests, licence]]
    valid_values = [
        *numbers, *path_values["key"], *[f"{r.number}:{r.status}" for r in requests],
        *[str(pk) for pk in User.objects.values_list("pk", flat=True)],
        *[str(pk) for model in (Priority, ErpModule, Organisation, RequestType)
          for pk in model.objects.values_list("pk", flat=True)],
        *RequestType.objects.values_list("code", flat=True),
        *RequestStatus.values, *sorted(TRANSITIONS), *SORTS, "public", "internal",
        "production", "test", "2030-06-30", "24.1", "Un texte ordinaire.", "1", "3", "12",
        "fr", "de", "en", "/portal/", "/agent/",
    ]
    fields_by_url = _fields_by_url()
    all_fields = sorted({name for names in fields_by_url.values() for name in names})
    admin_fields: dict[str, list[str]] = {}
    for model, _model_admin in _our_model_admins():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        names = _scraped_names(clients["admin"], reverse(f"{info}_add"))
        names |= _scraped_names(clients["admin"], reverse(f"{info}_changelist"))
        instance = model._default_manager.order_by("pk").first()
        if instance is not None:
            names |= _scraped_names(clients["admin"], reverse(f"{info}_change",
                                                              args=[instance.pk]))
        names |= {"q", "o", "p", "e", "all", "_to_field", "_popup", "action",
                  "_selected_action", "select_across", "index", "_save", "post"}
        admin_fields[info] = sorted(names - {"csrfmiddlewaretoken"})
    return World(clients, path_values, valid_values, fields_by_url, all_fields, admin_fields)


# ------------------------------------------------------------------- what one case sends

Value = str | bytes

def _is_invalid(value: Value) -> bool:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    if b"\x00" in raw:
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


# Text the middleware lets through, to reach the forms, and text it must refuse.
valid_scalar = st.one_of(
    st.sampled_from([text for text in HOSTILE_TEXT if not _is_invalid(text)]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=40),
)
invalid_scalar = st.one_of(
    st.sampled_from(INVALID_BYTES),
    st.sampled_from([text for text in HOSTILE_TEXT if _is_invalid(text)]),
    st.text(max_size=10).map(lambda text: text + "\x00"),
)
scalar = st.one_of(valid_scalar, valid_scalar, valid_scalar, invalid_scalar)

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# A real value made hostile: what a hand-edited form or URL looks like.
MUTATIONS = [
    lambda v: v.translate(_SUPERSCRIPT), lambda v: v.translate(_ARABIC_INDIC),
    lambda v: v.translate(_FULL_WIDTH), lambda v: re.sub(r"\d+", "9" * 25, v),
    lambda v: re.sub(r"\d+", "9223372036854775808", v), lambda v: re.sub(r"\d+", "-1", v),
    lambda v: re.sub(r"\d+", "0", v), lambda v: f" {v} ", lambda v: v * 200,
    lambda v: v.upper(), lambda v: v + "'", lambda v: v.replace(":", ""),
]


def _bytes(value: Value) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


@dataclass
class Case:
    method: str
    path: str
    path_invalid: bool
    fields: list[tuple[Value, Value]]
    files: list[tuple[Value, Value, bytes]]
    multipart: bool

    @property
    def invalid(self) -> bool:
        texts = [part for pair in self.fields for part in pair]
        texts += [part for name, filename, _content in self.files for part in (name, filename)]
        return self.path_invalid or any(_is_invalid(text) for text in texts)


def _multipart_safe(value: Value) -> Value:
    """A part's name or file name that keeps the body well formed (quotes, line breaks and
    path separators would change what the parser reads, not what the portal must refuse)."""
    if isinstance(value, bytes):
        return re.sub(rb'["\r\n/\\;]', b"", value)
    return re.sub(r'["\r\n/\\;]', "", value)


def _multipart_body(case: Case) -> tuple[bytes, str]:
    boundary = b"spt-fuzz-boundary-7f3a9c"
    parts = []
    for name, value in case.fields:
        parts.append(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="'
                     + _bytes(_multipart_safe(name)) + b'"\r\n\r\n' + _bytes(value) + b"\r\n")
    for name, filename, content in case.files:
        parts.append(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="'
                     + _bytes(_multipart_safe(name)) + b'"; filename="'
                     + _bytes(_multipart_safe(filename))
                     + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content + b"\r\n")
    body = b"".join(parts) + b"--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}"


def _send(client: Client, case: Case) -> Any:
    query = urlencode([(_bytes(k), _bytes(v)) for k, v in case.fields])
    if case.method == "GET":
        return client.get(f"{case.path}?{query}" if query else case.path)
    if case.multipart:
        body, content_type = _multipart_body(case)
    else:
        body, content_type = query.encode("ascii"), "application/x-www-form-urlencoded"
    return client.generic("POST", case.path, data=body, content_type=content_type)


@st.composite
def _path(draw: st.DrawFn, route: str, world: World, text: st.SearchStrategy[Value]
          ) -> tuple[str, bool]:
    """The route with each converter filled: a real value, a hostile one, or raw bytes."""
    invalid = False
    parts = []
    position = 0
    for match in _PARAM.finditer(route):
        parts.append(route[position:match.start()])
        position = match.end()
        real = st.sampled_from(world.path_values.get(match["name"], ["1", "x"]))
        mutated = st.builds(lambda mutation, v: mutation(v), st.sampled_from(MUTATIONS), real)
        value: Value = draw(st.one_of(real, real, mutated, text))
        raw = _bytes(value)
        invalid = invalid or _is_invalid(value)
        parts.append(quote(raw, safe="") or "x")
    parts.append(route[position:])
    return "".join(parts), invalid


def _fields(names: list[str], world: World, text: st.SearchStrategy[Value]
            ) -> st.SearchStrategy[list[tuple[Value, Value]]]:
    real = st.sampled_from(world.valid_values)
    mutated = st.builds(lambda mutation, v: mutation(v), st.sampled_from(MUTATIONS), real)
    value = st.one_of(text, real, real, mutated)
    known = st.sampled_from(names) if names else text
    name = st.one_of(known, known, text)
    # Several values under one name come out as repeated pairs ("a list instead of a scalar").
    chaos = st.lists(st.tuples(name, value), max_size=8)
    # One field made hostile, the others real: the form reads that one field for sure.
    focused = st.builds(
        lambda target, others: [target, *others],
        st.tuples(known, st.one_of(text, mutated)),
        st.lists(st.tuples(known, real), max_size=4),
    )
    return st.one_of(chaos, focused)


def _files(text: st.SearchStrategy[Value]) -> st.SearchStrategy[list]:
    return st.lists(
        st.tuples(
            st.sampled_from(["attachments", "comment-attachments", "ask_customer-attachments",
                             "propose_resolution-attachments"]) | text,
            st.sampled_from(["journal.txt", "capture.png", "a.exe", "", ".", "..", "x" * 300,
                             "é" * 200 + ".txt"]) | text,
            st.sampled_from([b"", b"ligne\n", b"\x00\xff\xfe binary", b"x" * 2000]),
        ),
        max_size=2,
    )


@st.composite
def _text_of_case(draw: st.DrawFn) -> st.SearchStrategy[Value]:
    """One case in four may carry text the middleware refuses; the others get past it, to
    the forms and the database."""
    return draw(st.sampled_from([valid_scalar, valid_scalar, valid_scalar, scalar]))


# ---------------------------------------------------------------------- what a case checks

_WATCHED = [Request, Comment, RequestEvent, OutboundMessage, Attachment, Participant,
            NotificationMute, SloClock, CannedReply]


def _state(models: list) -> dict[str, list]:
    return {model._meta.label: list(model._default_manager.order_by("pk").values_list())
            for model in models}


@contextmanager
def _rolled_back() -> Iterator[None]:
    """One example's writes, undone afterwards; no rate-limit counter or copy of reference
    rows carried over to the next example."""
    cache.clear()
    reference_forget()
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        reference_forget()


# Pages whose 5xx is their message: the health check answers 503 when a dependency is down.
_REPORTS_WITH_5XX = {"urls healthz"}


def _check(response: Any, case: Case, before: dict, after: dict, label: str) -> None:
    status = response.status_code
    if label not in _REPORTS_WITH_5XX:
        assert status < 500, f"{status} for {label}: {case}"
    if case.invalid:
        assert status == 400, f"{status}, not 400, for invalid text in {label}: {case}"
    if status >= 400:
        assert after == before, f"{status} for {label} but something was written: {case}"


def _run(world: World, role: str, case: Case, watched: list, label: str) -> None:
    with _rolled_back():
        before = _state(watched)
        response = _send(world.clients[role], case)
        after = _state(watched)
        _check(response, case, before, after, label)
    CASES[label.split(" ")[0]] += 1
    ANSWERS[f"{response.status_code // 100}xx"] += 1
    if os.environ.get("SPT_FUZZ_TRACE"):
        print(response.status_code, case.method, case.path, case.fields[:3])


ROLES = ["anonymous", "client", "colleague", "outsider", "frontdesk", "daily", "servicedesk",
         "expert", "rnd", "sales", "admin"]
BACK_OFFICE = ["frontdesk", "daily", "servicedesk", "expert", "rnd", "sales", "admin"]


def _roles_for(name: str) -> list[str]:
    """Those who may use the page (most cases: they get past its role gate); everyone
    else, now and then."""
    if name == "agent:licence_new":
        return ["sales"]
    if name.startswith("portal:"):
        return ["client", "colleague", "outsider"]
    if name.startswith(("agent:", "reports:")):
        return BACK_OFFICE
    return ROLES


def _role(name: str) -> st.SearchStrategy[str]:
    relevant = st.sampled_from(_roles_for(name))
    return st.one_of(relevant, relevant, relevant, st.sampled_from(ROLES))


def _url_fuzzer(world: World, name: str, route: str) -> Any:
    @settings(FUZZ, max_examples=PER_ROUTE)
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        role = data.draw(_role(name), label="role")
        text = data.draw(_text_of_case())
        path, path_invalid = data.draw(_path(route, world, text), label="path")
        method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
        names = world.fields_by_url.get(name) or world.all_fields
        fields = data.draw(_fields(names, world, text), label="fields")
        multipart = method == "POST" and data.draw(st.booleans(), label="multipart")
        uploads = data.draw(_files(text), label="files") if multipart else []
        case = Case(method, path, path_invalid, fields, uploads, multipart)
        _run(world, role, case, _WATCHED, f"urls {name}")

    return fuzz


def test_no_url_answers_5xx_or_writes_on_refusal(world: World, record_property: Any) -> None:
    """Every URL of the resolver in turn, ``PER_ROUTE`` cases each."""
    start = CASES["urls"]
    for name, route in ROUTES:
        _url_fuzzer(world, name, route)()
    record_property("fuzz_cases", CASES["urls"] - start)


# Each field of each page gets these on their own, as someone the page is for: what a form
# field parses (a key, a number, a date, a choice) breaks on one of them if it breaks at all.
SWEEP = ["²", "١٢", "１", "99999999999999999999999", "9223372036854775808", "-1",
         "9" * 5000, "²:open", f"{'9' * 25}:open", "' OR 1=1 --", "x" * 25000]


def _form_method(path: str) -> str:
    """POST where the view takes posts (its forms read them), GET otherwise."""
    view_class = getattr(resolve(path).func, "view_class", None)
    return "POST" if view_class is not None and hasattr(view_class, "post") else "GET"


def _real_path(route: str, world: World) -> str:
    return _PARAM.sub(lambda m: world.path_values.get(m["name"], ["1"])[0], route)


def test_every_field_of_every_page_takes_hostile_values_without_a_5xx(
        world: World, record_property: Any) -> None:
    """The systematic half: every field of every page with each value of ``SWEEP``."""
    start = CASES["sweep"]
    for name, route in ROUTES:
        path = _real_path(route, world)
        role = _roles_for(name)[0]
        method = _form_method(path)
        for field_name in world.fields_by_url.get(name, []):
            for value in SWEEP:
                case = Case(method, path, False, [(field_name, value)], [], False)
                _run(world, role, case, _WATCHED, f"sweep {name}")
    record_property("fuzz_cases", CASES["sweep"] - start)


_ADMIN_WATCHED = [*_WATCHED, *[apps.get_model(label) for label in (
    "auth.User", "auth.Group", "requests_app.Profile", "requests_app.Organisation",
    "requests_app.Category", "requests_app.RequestType", "requests_app.Priority",
    "requests_app.ErpModule", "slo.BusinessCalendar", "slo.WorkingPeriod",
    "slo.ClosureDay", "slo.StatusClockPolicy", "slo.SloTarget")]]


def _admin_fuzzer(world: World, info: str, real_pk: str) -> Any:
    @settings(FUZZ, max_examples=PER_ADMIN)
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        page = data.draw(st.sampled_from(["changelist", "add", "change", "delete", "history"]),
                         label="page")
        text = data.draw(_text_of_case())
        invalid = False
        if page in ("changelist", "add"):
            path = reverse(f"{info}_{page}")
        else:
            pk: Value = data.draw(st.one_of(st.just(real_pk), text), label="pk")
            invalid = _is_invalid(pk)
            placeholder = reverse(f"{info}_{page}", args=["0"])
            path = placeholder.replace("/0/", f"/{quote(_bytes(pk), safe='') or 'x'}/", 1)
        method = data.draw(st.sampled_from(["GET", "POST"]), label="method")
        fields = data.draw(_fields(world.admin_fields[info], world, text), label="fields")
        multipart = method == "POST" and data.draw(st.booleans(), label="multipart")
        case = Case(method, path, invalid, fields, [], multipart)
        _run(world, "admin", case, _ADMIN_WATCHED, f"admin {info}_{page}")

    return fuzz


def test_our_admin_pages_answer_no_5xx_and_write_nothing_on_refusal(
        world: World, record_property: Any) -> None:
    """Each ModelAdmin of ours in turn, as a superuser: list (search, filters, actions), add,
    change, delete and history pages, ``PER_ADMIN`` cases each."""
    start = CASES["admin"]
    for model, _model_admin in _our_model_admins():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        instance = model._default_manager.order_by("pk").first()
        _admin_fuzzer(world, info, str(instance.pk) if instance is not None else "1")()
    record_property("fuzz_cases", CASES["admin"] - start)


raw_segment = st.binary(max_size=12)


@FUZZ
@given(segment=raw_segment, query=st.binary(max_size=24),
       role=st.sampled_from(["anonymous", "client", "servicedesk"]),
       prefix=st.sampled_from(["/attachments/", "/portal/requests/", "/agent/requests/",
                               "/agent/queues/", "/portal/requests/new/", "/"]))
def test_any_bytes_in_the_path_or_query_string_are_a_clean_answer(
        world: World, segment: bytes, query: bytes, role: str, prefix: str) -> None:
    """Arbitrary bytes, percent-encoded, where a key, token or slug goes and in the query
    string (``=`` and ``&`` included)."""
    path = f"{prefix}{quote(segment, safe='')}/"
    raw_query = quote(query, safe="=&")
    with _rolled_back():
        before = _state(_WATCHED)
        response = world.clients[role].get(f"{path}?{raw_query}")
        after = _state(_WATCHED)
        status = response.status_code
        assert status < 500, (status, path, raw_query)
        if _is_invalid(segment) or _is_invalid(query):
            assert status == 400, (status, path, raw_query)
        assert after == before
    CASES["bytes"] += 1
    ANSWERS[f"{status // 100}xx"] += 1
