"""Cheap structural checks of the rules in STYLE.md: views, forms and tasks never write to
the database themselves nor fire transitions; slo never imports the request app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WRITE_CALLS = {"save", "delete", "update", "create", "bulk_create", "get_or_create",
               "update_or_create"}
TRANSITIONS = {"qualify", "close_without_follow_up", "start", "escalate_to_expert",
               "return_to_service_desk", "send_to_rnd", "fix_available", "ask_customer",
               "propose_resolution", "customer_reply", "close", "close_without_answer",
               "close_escalated", "withdraw", "take_back"}


def interface_files():
    app = ROOT / "requests_app"
    files = list((app / "views").glob("*.py"))
    files += [p for p in (app / "forms.py", app / "tasks.py") if p.exists()]
    files += list((app / "forms").glob("*.py")) if (app / "forms").is_dir() else []
    return files


def test_views_forms_and_tasks_do_not_write_or_fire_transitions():
    offenders = []
    for path in interface_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                receiver = ast.unparse(node.func.value)
                writes = name in WRITE_CALLS and (
                    "objects" in receiver or name in {"save", "delete"}
                )
                if writes and receiver not in {"response", "messages", "super()"}:
                    offenders.append(f"{path.name}:{node.lineno} {receiver}.{name}()")
                if name in TRANSITIONS and receiver not in {"services", "self"}:
                    offenders.append(f"{path.name}:{node.lineno} {receiver}.{name}()")
    assert not offenders, offenders


def test_slo_never_imports_the_request_app():
    offenders = []
    for path in (ROOT / "slo").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "requests_app"
            ):
                offenders.append(f"{path}:{node.lineno}")
            if isinstance(node, ast.Import) and any(
                alias.name.startswith("requests_app") for alias in node.names
            ):
                offenders.append(f"{path}:{node.lineno}")
    assert not offenders, offenders


# ------------------------------------------------------- slo is handed its inputs

# What would reach into the request app from slo's code (docstrings aside).
REQUEST_APP_ATTRIBUTES = {"events", "request_type", "payload", "priority", "comments"}
REQUEST_APP_STRINGS = {
    "open", "qualified", "in_progress", "awaiting_triage", "awaiting_rnd", "awaiting_customer",
    "closed", "created", "status_changed", "commented", "internal_note", "by_back_office",
}
# The status policy's choices name the statuses (a test in tests/slo holds them to the
# workflow's); the Django admin, an interface, shows and searches a clock's request;
# migrations seed data.
SLO_ALLOWED_FILES = {"models.py", "admin.py"}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
            body[0].value, ast.Constant
        ):
            ids.add(id(body[0].value))
    return ids


def test_slo_names_no_field_status_or_event_of_the_request_app():
    offenders = []
    for path in (ROOT / "slo").rglob("*.py"):
        if "migrations" in path.parts or path.name in SLO_ALLOWED_FILES:
            continue
        tree = ast.parse(path.read_text())
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Attribute) and node.attr in REQUEST_APP_ATTRIBUTES:
                offenders.append(f"{where} .{node.attr}")
            if isinstance(node, ast.keyword) and (node.arg or "").startswith("request__"):
                offenders.append(f"{where} {node.arg}=")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                id(node) not in docstrings
            ) and (node.value in REQUEST_APP_STRINGS or node.value.startswith("request__")):
                offenders.append(f"{where} {node.value!r}")
    assert not offenders, offenders


@pytest.mark.django_db
def test_slo_queries_none_of_the_request_apps_tables(settings):
    """Run every SLO write and read on a real request (created before capturing), with the
    two hooks pointed at stand-ins: no SQL of slo's touches a requests_app table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from requests_app.slo_inputs import slo_subject
    from slo import display, services
    from tests import factories

    settings.SLO_CROSSING_HANDLER = "tests.test_architecture.crossing_ignored"
    settings.SLO_SUBJECT_PROVIDER = "tests.test_architecture.subjects_given"
    organisation = factories.OrganisationFactory(name="Architecture SA")
    request = factories.make_request(factories.make_client(organisation, "arch"))
    subject = slo_subject(request)
    SUBJECTS.clear()
    SUBJECTS[request.pk] = subject
    later = timezone.now() + timezone.timedelta(days=30)
    with CaptureQueriesContext(connection) as captured:
        services.clocks_sync(subject=subject, at=later)
        services.first_response_record(subject=subject, at=later)
        services.clocks_sweep(now=later)
        services.clocks_recompute(at=later)
        display.clock_views_for([request.pk], at=later)
    touched = [q["sql"] for q in captured.captured_queries if "requests_app_" in q["sql"]]
    assert len(captured.captured_queries) > 5  # it did run
    assert not touched, touched


SUBJECTS: dict = {}


def crossing_ignored(**kwargs) -> None:
    pass


def subjects_given(request_ids) -> dict:
    return {pk: SUBJECTS[pk] for pk in request_ids if pk in SUBJECTS}


# ----------------------------------------------------------- the transition registry

def test_the_registry_is_the_one_source_of_the_transitions():
    import inspect

    from django_fsm import get_available_FIELD_transitions  # noqa: F401  (django-fsm API)

    from requests_app.forms.agent import TRANSITION_FORMS, BulkActionForm
    from requests_app.models import Request
    from requests_app.services import TRANSITION_SERVICES
    from requests_app.workflow import AGENT_TRANSITIONS, BULK_TRANSITIONS, TRANSITIONS

    methods = {
        name for name, member in inspect.getmembers(Request)
        if hasattr(member, "_django_fsm")
    }
    assert methods == set(TRANSITIONS)
    for name in methods:
        meta = getattr(Request, name)._django_fsm
        for transition in meta.transitions.values():
            assert transition.permission is TRANSITIONS[name].permission, name
            assert list(transition.conditions) == list(TRANSITIONS[name].conditions), name
    fired_by_name = {name for name, spec in TRANSITIONS.items() if spec.fired_by != "automatic"}
    assert set(TRANSITION_SERVICES) == fired_by_name
    assert set(TRANSITION_FORMS) == set(AGENT_TRANSITIONS)
    # Each service takes the text parameter the registry names; the bulk form fills exactly
    # parameters the service has.
    for name in BULK_TRANSITIONS:
        accepted = inspect.signature(TRANSITION_SERVICES[name]).parameters
        spec = TRANSITIONS[name]
        if spec.text_param:
            assert spec.text_param in accepted, name
        form = BulkActionForm.__new__(BulkActionForm)
        form.cleaned_data = {"text": "x", "assignee": None, "rnd_reference": "RD"}
        assert set(form.service_kwargs(name)) <= set(accepted), name
    # Each agent form posts what its service takes.
    for name in AGENT_TRANSITIONS:
        accepted = inspect.signature(TRANSITION_SERVICES[name]).parameters
        fields = set(TRANSITION_FORMS[name].base_fields)
        assert fields <= set(accepted), (name, fields - set(accepted))


def test_every_event_kind_is_history_only_or_has_an_audience():
    from requests_app.models import EventKind
    from requests_app.notifications import AUDIENCES, HISTORY_ONLY

    kinds = set(EventKind.values)
    assert not set(AUDIENCES) & HISTORY_ONLY
    assert set(AUDIENCES) | HISTORY_ONLY == kinds, kinds - set(AUDIENCES) - HISTORY_ONLY


def test_only_events_py_writes_history_lines():
    offenders = []
    for path in (ROOT / "requests_app").rglob("*.py"):
        if "migrations" in path.parts or path.name == "events.py":
            continue
        if "RequestEvent.objects.create" in path.read_text():
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
