"""Production posture (issue 11, item 4): the README's production environment passes
``check --deploy``; outside demo mode every answer is HTTPS-only with HSTS; every answer to a
signed-in person is ``Cache-Control: private, no-store``; a deactivated person or organisation
loses the portal at once, sessions included.

The production settings are read in a subprocess with exactly the README's variables (the
test process runs the demo-mode test settings); the headers are then checked on real pages
with those settings.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from requests_app.middleware import PRIVATE_CACHE_CONTROL
from tests import factories

ROOT = Path(__file__).resolve().parent.parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(
    r"<!-- production-environment -->\s*```sh\n(?P<body>.*?)```\s*"
    r"<!-- end of production-environment -->",
    re.DOTALL,
)
PLACEHOLDER = re.compile(r"\{[^}]*\}")
HOST = "support.example.com"
SECURE_SETTINGS = ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
                   "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
                   "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE",
                   "SECURE_PROXY_SSL_HEADER", "ALLOWED_HOSTS", "DEBUG", "DEMO_MODE")


def production_environment() -> dict[str, str]:
    """The README's block, each ``{placeholder}`` filled in (the secret key with a real
    one, the rest with a plain word)."""
    match = BLOCK.search(README.read_text(encoding="utf-8"))
    assert match, "README.md has no production-environment block"
    env = {}
    for line in match.group("body").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _sep, value = line.partition("=")
        assert _sep, f"not NAME=value: {line!r}"
        filler = secrets.token_urlsafe(50) if name == "SECRET_KEY" else "placeholder"
        env[name.strip()] = PLACEHOLDER.sub(filler, value.strip())
    return env


def run_django(env: dict[str, str], code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """``code`` after ``django.setup()`` with the production settings module and only
    ``env`` (nothing inherited from this process, whose settings are the tests')."""
    return subprocess.run(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "portal.settings.base",
             # Where the settings create their folders: not the working tree's var/.
             "SPT_VAR_DIR": str(tmp_path / "var"), **env},
    )


CHECK_DEPLOY = (
    "from django.core.management import call_command\n"
    "call_command('check', deploy=True, fail_level='WARNING')\n"
)


def test_the_documented_production_environment_passes_check_deploy(tmp_path):
    env = production_environment()
    assert "DEMO_MODE" not in env and "DEBUG" not in env
    result = run_django(env, CHECK_DEPLOY, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in output, output


@pytest.mark.parametrize(("variable", "value", "warning"), [
    ("SECURE_HSTS_SECONDS", "0", "security.W004"),
    ("SECURE_SSL_REDIRECT", "0", "security.W008"),
    ("SESSION_COOKIE_SECURE", "0", "security.W012"),
])
def test_check_deploy_names_what_is_turned_down(tmp_path, variable, value, warning):
    """The same check sees a setting turned down: the test above can fail."""
    result = run_django({**production_environment(), variable: value}, CHECK_DEPLOY, tmp_path)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


@pytest.mark.parametrize("key", [
    "a" * 32 + "bcdef",  # the 32 characters accepted before: too short now
    # Long and varied, but the prefix of the keys Django generates for a new project.
    "django-insecure-" + "k7Qv2pXz9LmR4tWb8NcY3hJd6FgS1aEo5uIy0TqZrVxK",
    "ab" * 30,  # long, but two characters
])
def test_a_weak_secret_key_is_refused_outside_demo_mode(tmp_path, key):
    result = run_django({**production_environment(), "SECRET_KEY": key}, "", tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be a real secret of at least 50 characters" in result.stderr


@pytest.fixture(scope="module")
def production_settings(tmp_path_factory) -> dict:
    """The security settings the README's environment yields."""
    code = ("import json\nfrom django.conf import settings\n"
            f"print(json.dumps({{name: getattr(settings, name) for name in {SECURE_SETTINGS!r}}}))")
    result = run_django(production_environment(), code, tmp_path_factory.mktemp("prod"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_is_https_only_with_hsts_and_secure_cookies(production_settings):
    assert production_settings["DEMO_MODE"] is False
    assert production_settings["DEBUG"] is False
    assert production_settings["SECURE_SSL_REDIRECT"] is True
    assert production_settings["SECURE_HSTS_SECONDS"] >= 31536000
    assert production_settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production_settings["SECURE_HSTS_PRELOAD"] is True
    for cookie in ("SESSION", "CSRF", "LANGUAGE"):
        assert production_settings[f"{cookie}_COOKIE_SECURE"] is True
    assert production_settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.fixture
def as_in_production(settings, production_settings):
    """This process's settings with the production posture (the test database stays)."""
    for name, value in production_settings.items():
        if name != "DEMO_MODE":
            setattr(settings, name, tuple(value) if name == "SECURE_PROXY_SSL_HEADER" else value)
    return settings


def test_pages_answer_with_hsts_and_redirect_plain_http(as_in_production, client, client_user):
    client.force_login(client_user)
    plain = client.get("/portal/", HTTP_HOST=HOST)
    assert plain.status_code == 301
    assert plain["Location"] == f"https://{HOST}/portal/"
    # Behind the TLS proxy, which says the client used https.
    page = client.get("/portal/", HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https")
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert page["Cache-Control"] == PRIVATE_CACHE_CONTROL
    # The container's probe, over plain http from inside, is not redirected.
    assert client.get("/healthz", HTTP_HOST=HOST).status_code != 301


def test_signing_in_sets_secure_cookies_only(as_in_production, client, client_user):
    login = client.get("/accounts/login/", HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https")
    assert login.cookies["csrftoken"]["secure"] is True
    response = client.post("/accounts/login/", {
        "username": client_user.username, "password": "demo",
        "csrfmiddlewaretoken": login.cookies["csrftoken"].value,
    }, HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True


# --- Cache-Control -------------------------------------------------------------------------

@pytest.fixture
def attachment_token(client_user):
    request = factories.make_request(client_user, attachments=[
        SimpleUploadedFile("journal.txt", b"erreur 4512", content_type="text/plain")])
    return request.attachments.get().token


@pytest.mark.parametrize("who", ["client_user", "servicedesk", "daily"])
def test_every_signed_in_answer_is_private_no_store(request, db, client, who):
    person = request.getfixturevalue(who)
    client.force_login(person)
    home = client.get("/", follow=True)
    assert home.status_code == 200
    assert home["Cache-Control"] == PRIVATE_CACHE_CONTROL
    assert client.get("/accounts/password_change/")["Cache-Control"] == PRIVATE_CACHE_CONTROL


def test_the_csv_export_and_the_report_are_private_no_store(client, daily):
    client.force_login(daily)
    export = client.get(reverse("reports:slo_csv"))
    assert export.status_code == 200
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export["Cache-Control"] == PRIVATE_CACHE_CONTROL
    assert client.get(reverse("reports:slo"))["Cache-Control"] == PRIVATE_CACHE_CONTROL


def test_an_attachment_download_keeps_its_sandbox_and_is_private(client, client_user,
                                                                   attachment_token):
    client.force_login(client_user)
    response = client.get(reverse("attachment", kwargs={"token": attachment_token}))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == PRIVATE_CACHE_CONTROL


def test_anonymous_pages_and_static_files_are_left_alone(client, client_user):
    # (The login page has Django's own "never cache".)
    reset = client.get("/accounts/password_reset/")
    assert reset.status_code == 200
    assert "Cache-Control" not in reset
    client.force_login(client_user)
    css = client.get("/static/css/spt.css")
    assert css.status_code == 200
    assert "no-store" not in css.get("Cache-Control", "")


# --- deactivated people and organisations ---------------------------------------------------

ORGANISATION_INACTIVE = "Votre organisation n'a plus accès au portail."


def test_a_person_deactivated_meanwhile_loses_their_open_session(client, client_user):
    client.force_login(client_user)
    assert client.get("/portal/").status_code == 200
    client_user.is_active = False
    client_user.save(update_fields=["is_active"])

    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_organisation_deactivated_meanwhile_signs_its_clients_out(client, client_user,
                                                                     colleague, org_a):
    client.force_login(client_user)
    assert client.get("/portal/").status_code == 200
    org_a.is_active = False
    org_a.save(update_fields=["is_active"])

    response = client.get("/portal/", follow=True)
    assert response.redirect_chain[0] == (reverse("login"), 302)
    assert ORGANISATION_INACTIVE in html.unescape(response.content.decode())
    assert SESSION_KEY not in client.session
    # Signed out for good: the next page asks for the login again.
    again = client.get("/portal/")
    assert again.status_code == 302 and again["Location"].startswith(reverse("login"))


def test_a_client_of_a_deactivated_organisation_cannot_sign_in(client, client_user, org_a):
    org_a.is_active = False
    org_a.save(update_fields=["is_active"])

    response = client.post(reverse("login"), {"username": client_user.username,
                                              "password": "demo"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert ORGANISATION_INACTIVE in html.unescape(response.content.decode())
    assert SESSION_KEY not in client.session
    assert client.get("/portal/").status_code == 302


def test_other_organisations_and_the_back_office_keep_their_access(client, outsider, org_a,
                                                                   servicedesk):
    org_a.is_active = False
    org_a.save(update_fields=["is_active"])
    client.force_login(outsider)
    assert client.get("/portal/").status_code == 200
    client.force_login(servicedesk)
    assert client.get("/agent/").status_code == 200
