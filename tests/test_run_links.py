"""`make run PORT=8123` mails links to port 8123: scripts/run_all.py gives its processes a
``PORTAL_BASE_URL`` from ``PORT`` unless one is set."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

RUN_ALL = Path(__file__).resolve().parent.parent / "scripts" / "run_all.py"


@pytest.mark.parametrize(("port", "given", "expected"), [
    ("8123", None, "http://127.0.0.1:8123"),
    (None, None, "http://127.0.0.1:8000"),
    ("8123", "https://support.example.ch", "https://support.example.ch"),
])
def test_the_launcher_sets_the_links_base_from_the_port(monkeypatch, port, given, expected):
    for name, value in (("PORT", port), ("PORTAL_BASE_URL", given)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    launcher = runpy.run_path(str(RUN_ALL), run_name="run_all")  # not __main__: starts nothing
    assert launcher["BASE_URL"] == expected
    assert os.environ["PORTAL_BASE_URL"] == expected  # what web and worker inherit
