"""The demo data command and `make run`'s launcher: from nothing, the portal serves
/accounts/login/ and every demo account logs in."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from requests_app.models import Request
from requests_app.workflow import RequestStatus
from slo.reports import slo_report

ROOT = Path(__file__).resolve().parent.parent
DEMO_USERS = ["client", "client2", "client.leman", "frontdesk", "daily", "servicedesk",
              "expert", "rd", "sales", "admin"]


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_spreads_the_statuses(django_user_model):
    call_command("seed_demo")
    count = Request.objects.count()
    call_command("seed_demo")
    assert Request.objects.count() == count >= 12
    statuses = set(Request.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in RequestStatus}
    assert set(django_user_model.objects.values_list("username", flat=True)) >= set(DEMO_USERS)
    # The SLO report has its figures at once, without waiting for beat's first minute.
    report = slo_report(at=timezone.now(), months=24)
    assert report.as_of is not None and not report.pending
    assert sum(row.total for row in report.by_month) > 0


@pytest.mark.django_db
def test_seed_demo_refuses_outside_demo_mode(settings):
    from django.core.management.base import CommandError

    settings.DEMO_MODE = False
    with pytest.raises(CommandError):
        call_command("seed_demo")


@pytest.mark.django_db
def test_every_demo_account_logs_in(client):
    call_command("seed_demo")
    for username in DEMO_USERS:
        response = client.post("/accounts/login/", {"username": username, "password": "demo"})
        assert response.status_code == 302, username
        landing = client.get(response["Location"], follow=True)
        assert landing.status_code == 200, username
        client.logout()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_run_launcher_serves_the_login_page_for_every_demo_account(tmp_path):
    """What `make run` does after install: migrate, seed_demo, then web + worker + beat."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEMO_MODE"}}
    env.update(SPT_VAR_DIR=str(tmp_path), PORT=str(_free_port()))
    python = sys.executable
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=300)
    launcher = subprocess.Popen([python, "scripts/run_all.py"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=2) as page:
                    assert page.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or launcher.poll() is not None:
                    raise
                time.sleep(0.5)
        for username in DEMO_USERS:
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            html = opener.open(f"{base}/accounts/login/", timeout=5).read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
            data = urllib.parse.urlencode({"username": username, "password": "demo",
                                           "csrfmiddlewaretoken": token}).encode()
            request = urllib.request.Request(f"{base}/accounts/login/", data=data,
                                             headers={"Referer": f"{base}/accounts/login/"})
            landing = opener.open(request, timeout=10)
            assert landing.status == 200, username
            assert "/accounts/login/" not in landing.url, (username, landing.url)
    finally:
        launcher.terminate()
        try:
            launcher.wait(timeout=20)
        except subprocess.TimeoutExpired:
            launcher.kill()
    assert launcher.returncode == 0
