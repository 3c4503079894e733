"""Cheap structural checks of the rules in STYLE.md: views, forms and tasks never write to
the database themselves nor fire transitions; slo never imports the request app."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITE_CALLS = {"save", "delete", "update", "create", "bulk_create", "get_or_create",
               "update_or_create"}
TRANSITIONS = {"qualify", "close_without_follow_up", "start", "escalate_to_expert",
               "return_to_service_desk", "send_to_rnd", "fix_available", "ask_customer",
               "propose_resolution", "customer_reply", "close", "close_without_answer",
               "close_escalated", "withdraw"}


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
