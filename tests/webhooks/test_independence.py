"""The webhooks app is handed what it sends: it never imports the request app."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_webhooks_never_imports_the_request_app():
    offenders = []
    for path in (ROOT / "webhooks").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [])
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for name in names
                          if name.startswith("requests_app")]
    assert not offenders, offenders
