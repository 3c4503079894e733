"""Single sign-on comes from the environment only: off without it, its backend after
django-axes' when configured, and a role map naming no role of ours refused at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SHOW_BACKENDS = ("import portal.settings.base as s; "
                 "print(s.OIDC_ENABLED, s.AUTHENTICATION_BACKENDS)")


def settings_loaded(**environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OIDC_")}
    env.update(environment, DEMO_MODE="1")
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", SHOW_BACKENDS], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_off_without_the_environment_and_after_axes_with_it() -> None:
    off = settings_loaded()
    assert off.returncode == 0, off.stderr
    assert off.stdout.startswith("False ")
    assert "requests_app.sso.SsoBackend" not in off.stdout

    # Nothing is fetched from the provider at start-up: this address answers nobody.
    on = settings_loaded(OIDC_RP_CLIENT_ID="spt-portal", OIDC_RP_CLIENT_SECRET="x",
                         OIDC_OP_DISCOVERY_URL="http://127.0.0.1:9/.well-known/openid-configuration",
                         OIDC_ROLE_MAP="spt-daily=Daily, spt-rnd=R&D")
    assert on.returncode == 0, on.stderr
    assert on.stdout.startswith("True ['axes.backends.AxesStandaloneBackend', ")
    assert on.stdout.strip().endswith("'requests_app.sso.SsoBackend']")


def test_a_role_map_naming_an_unknown_role_stops_the_start_up_with_the_reason() -> None:
    refused = settings_loaded(OIDC_RP_CLIENT_ID="spt-portal",
                              OIDC_OP_DISCOVERY_URL="http://127.0.0.1:9/",
                              OIDC_ROLE_MAP="spt-admin=Superuser")
    assert refused.returncode != 0
    assert "OIDC_ROLE_MAP names roles that do not exist: Superuser" in refused.stderr

    malformed = settings_loaded(OIDC_RP_CLIENT_ID="spt-portal",
                                OIDC_OP_DISCOVERY_URL="http://127.0.0.1:9/",
                                OIDC_ROLE_MAP="spt-daily")
    assert malformed.returncode != 0
    assert "is not of the form key=value" in malformed.stderr
