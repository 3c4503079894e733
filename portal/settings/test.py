"""Test settings: base plus test concerns only."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DEMO_MODE", "1")

from portal.settings.base import *  # noqa: E402,F403
from portal.settings.base import REDIS_URL  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
_TEST_VAR = Path(tempfile.mkdtemp(prefix="spt-test-"))
MEDIA_ROOT = _TEST_VAR / "media"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if not REDIS_URL:
    # No worker in the default pass: tasks published after commit run in-process.
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_CODE = "fr"
# The password reset's answer-time floor would slow every test that posts the form; the tests
# of the floor set it themselves.
PASSWORD_RESET_MIN_SECONDS = 0
# Each e-mail leaves at once unless a test of the grouping sets a window.
NOTIFICATION_GROUP_SECONDS = 0
