"""The outbox's and the webhooks' timings come from the environment: values that cannot
work stop the start-up with a message naming the variable; good ones are used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.settings.timings import outbox_timings, webhook_timings
from requests_app import outbox
from webhooks import services as webhooks

ROOT = Path(__file__).resolve().parents[2]
LONGEST = 880


def test_the_defaults():
    assert outbox_timings({}, longest_send=LONGEST) == {
        "OUTBOX_CLAIM_SECONDS": LONGEST + 60, "OUTBOX_SWEEP_GRACE_SECONDS": 60,
        "OUTBOX_BACKOFF_BASE_SECONDS": 60, "OUTBOX_BACKOFF_MAX_SECONDS": 3600,
        "OUTBOX_MAX_ATTEMPTS": 30,
    }
    assert webhook_timings({}) == {"WEBHOOK_TIMEOUT_SECONDS": 10.0,
                                   "WEBHOOK_CLAIM_SECONDS": 80}


def test_values_from_the_environment_are_taken():
    timings = outbox_timings({
        "OUTBOX_CLAIM_SECONDS": "1000", "OUTBOX_SWEEP_GRACE_SECONDS": " 30 ",
        "OUTBOX_BACKOFF_BASE_SECONDS": "10", "OUTBOX_BACKOFF_MAX_SECONDS": "600",
        "OUTBOX_MAX_ATTEMPTS": "5"}, longest_send=LONGEST)
    assert timings == {"OUTBOX_CLAIM_SECONDS": 1000, "OUTBOX_SWEEP_GRACE_SECONDS": 30,
                       "OUTBOX_BACKOFF_BASE_SECONDS": 10, "OUTBOX_BACKOFF_MAX_SECONDS": 600,
                       "OUTBOX_MAX_ATTEMPTS": 5}
    assert webhook_timings({"WEBHOOK_TIMEOUT_SECONDS": "2.5"}) == {
        "WEBHOOK_TIMEOUT_SECONDS": 2.5, "WEBHOOK_CLAIM_SECONDS": 65}


@pytest.mark.parametrize(("environ", "message"), [
    ({"OUTBOX_MAX_ATTEMPTS": "abc"}, "OUTBOX_MAX_ATTEMPTS must be a whole number, not 'abc'"),
    ({"OUTBOX_MAX_ATTEMPTS": "0"}, "OUTBOX_MAX_ATTEMPTS (0) must be between 1 and 1000"),
    ({"OUTBOX_MAX_ATTEMPTS": "2.5"}, "OUTBOX_MAX_ATTEMPTS must be a whole number"),
    ({"OUTBOX_BACKOFF_BASE_SECONDS": "-5"}, "OUTBOX_BACKOFF_BASE_SECONDS (-5) must be"),
    ({"OUTBOX_BACKOFF_BASE_SECONDS": "120", "OUTBOX_BACKOFF_MAX_SECONDS": "60"},
     "OUTBOX_BACKOFF_MAX_SECONDS (60) must be at least OUTBOX_BACKOFF_BASE_SECONDS (120)"),
    ({"OUTBOX_SWEEP_GRACE_SECONDS": "-1"}, "OUTBOX_SWEEP_GRACE_SECONDS (-1) must be between"),
    ({"OUTBOX_SWEEP_GRACE_SECONDS": "une minute"}, "OUTBOX_SWEEP_GRACE_SECONDS must be"),
    ({"OUTBOX_CLAIM_SECONDS": "300"}, "OUTBOX_CLAIM_SECONDS (300) must outlast the longest"),
    ({"OUTBOX_CLAIM_SECONDS": "9" * 30}, "OUTBOX_CLAIM_SECONDS"),
])
def test_values_that_cannot_work_are_refused(environ, message):
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(").replace(
            ")", r"\)")):
        outbox_timings(environ, longest_send=LONGEST)


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf", "121"])
def test_a_webhook_timeout_that_cannot_work_is_refused(value):
    with pytest.raises(ImproperlyConfigured, match="WEBHOOK_TIMEOUT_SECONDS"):
        webhook_timings({"WEBHOOK_TIMEOUT_SECONDS": value})


def settings_started(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    code = ("from portal.settings import base as s; print(s.OUTBOX_MAX_ATTEMPTS, "
            "s.OUTBOX_BACKOFF_BASE_SECONDS, s.OUTBOX_BACKOFF_MAX_SECONDS, "
            "s.OUTBOX_SWEEP_GRACE_SECONDS, s.WEBHOOK_TIMEOUT_SECONDS)")
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("EMAIL_", "OUTBOX_", "WEBHOOK_"))}
    environ.update(DEMO_MODE="1", SPT_VAR_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60)


def test_the_settings_read_them_at_start_up(tmp_path):
    started = settings_started(tmp_path, OUTBOX_MAX_ATTEMPTS="7",
                               OUTBOX_BACKOFF_BASE_SECONDS="15",
                               OUTBOX_BACKOFF_MAX_SECONDS="900",
                               OUTBOX_SWEEP_GRACE_SECONDS="45", WEBHOOK_TIMEOUT_SECONDS="3")
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["7", "15", "900", "45", "3.0"]
    refused = settings_started(tmp_path, OUTBOX_BACKOFF_MAX_SECONDS="soon")
    assert refused.returncode != 0
    assert "OUTBOX_BACKOFF_MAX_SECONDS must be a whole number, not 'soon'" in refused.stderr


def test_the_back_off_follows_the_settings(settings):
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 15
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 100
    expected = [15, 30, 60, 100, 100]
    assert [outbox.backoff_seconds(n) for n in (1, 2, 3, 4, 40)] == expected
    assert [webhooks.backoff_seconds(n) for n in (1, 2, 3, 4, 40)] == expected
    settings.OUTBOX_SWEEP_GRACE_SECONDS = 5
    assert outbox.sweep_grace_seconds() == webhooks.sweep_grace_seconds() == 5
