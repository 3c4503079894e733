"""The one complete settings module: every difference between demo and production comes from
the environment, never from another settings file.

With no variable set the portal runs on its embedded default: SQLite under ``var/``, a Celery
broker on the file system (no server), e-mails written as files under ``var/mail/``, demo mode.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SPT_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

# Demo mode: the embedded default, with demo accounts. Production is anything with a real
# database, unless DEMO_MODE says otherwise.
DEMO_MODE = env_bool("DEMO_MODE", default=not DATABASE_URL)

_DEMO_SECRET_KEY = "demo-only-not-secret-spt-portal-embedded-default"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEMO_MODE:
        raise ImproperlyConfigured("SECRET_KEY must be set outside demo mode.")
    SECRET_KEY = _DEMO_SECRET_KEY
elif not DEMO_MODE and (
    SECRET_KEY == _DEMO_SECRET_KEY
    or len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
    or SECRET_KEY.startswith("django-insecure-")
):
    # The bar of Django's own deploy check (security.W009): signatures of sessions, password
    # reset links and CSRF tokens are only as strong as this key.
    raise ImproperlyConfigured(
        "SECRET_KEY must be a real secret of at least 50 characters, e.g. the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEMO_MODE else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Before the admin, which it extends with a field per language.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_fsm",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "requests_app",
    "slo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # NUL characters and bytes that are not UTF-8 in the path, query string, cookies or form
    # fields: a 400 before anything (the session's lookup included) reads them.
    "requests_app.http_input.RejectInvalidTextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether this session passed the second factor; then every page but signing in and out
    # waits for it (requests_app/two_factor.py).
    "django_otp.middleware.OTPMiddleware",
    "requests_app.two_factor.SecondFactorMiddleware",
    "requests_app.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "requests_app.context_processors.portal",
            ],
        },
    },
]

# dj_database_url's config (a TypedDict, NAME a str) or the embedded SQLite default, whose
# NAME is a Path (Django takes either).
DATABASES: dict[str, Any]
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    # Every select of a form iterates its choices through a server-side cursor (DECLARE,
    # FETCH, CLOSE: three round trips for a few rows, WITH HOLD outside a transaction); off,
    # they are one query. Large sets are read by pages of primary keys instead (migration
    # 0006, seed_volume), never by QuerySet.iterator().
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "spt.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = (
    []
    if DEMO_MODE
    else [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
)
# --- Login protection and two factors ---------------------------------------------------------
# django-axes (requests_app/login_protection.py): failed sign-ins counted in the database (never
# in Redis: signing in does not depend on it) per normalised username and per client address;
# successes are never counted and reset nothing. LOGIN_FAILURE_LIMIT failures for one username,
# or LOGIN_ADDRESS_FAILURE_LIMIT from one address (higher: an office behind one proxy shares
# it), lock that sign-in out for LOGIN_COOLOFF_MINUTES after the last failure (a 429 page).
# Administrators unlock someone by deleting their "access attempts" in the admin.
# CLIENT_IP_HEADER: the header a reverse proxy sets with the client's address (for example
# X-Forwarded-For), only when every request comes through TRUSTED_PROXY_COUNT proxies that
# set it; empty, the address is the connection's (REMOTE_ADDR).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", 20))
LOGIN_COOLOFF_MINUTES = int(os.environ.get("LOGIN_COOLOFF_MINUTES", 15))
if LOGIN_FAILURE_LIMIT < 1 or LOGIN_ADDRESS_FAILURE_LIMIT < 1 or LOGIN_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT, LOGIN_ADDRESS_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES must be "
        "at least 1."
    )
_client_ip_header = os.environ.get("CLIENT_IP_HEADER", "").strip()
# As request.META names it: X-Forwarded-For -> HTTP_X_FORWARDED_FOR.
CLIENT_IP_HEADER = (
    "" if not _client_ip_header or _client_ip_header.upper() == "REMOTE_ADDR"
    else "HTTP_" + _client_ip_header.upper().replace("-", "_").removeprefix("HTTP_")
)
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 1))
AXES_ENABLED = True
AXES_VERBOSE = False  # no start-up banner; lockouts are still logged
AXES_HANDLER = "requests_app.login_protection.LoginFailureHandler"  # the database handler
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "requests_app.login_protection.login_username"
AXES_CLIENT_IP_CALLABLE = "requests_app.login_protection.client_ip_address"
AXES_LOCKOUT_CALLABLE = "requests_app.login_protection.lockout_response"
AXES_RESET_ON_SUCCESS = False
# A sign-in refused during a lockout is not counted again: the cool-off the page announces
# runs from the last failure, whoever keeps knocking.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# django-otp (requests_app/two_factor.py): TOTP and recovery codes; wrong codes throttled
# (1, 2, 4, 8 … seconds between tries).
OTP_TOTP_ISSUER = "SPT Portal"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# --- end of login protection and two factors --------------------------------------------------

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("de", _("Deutsch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Reference data (types, categories, priorities, ERP modules) carries a name per language;
# French, the service's own language, fills in where a translation is missing (then English,
# then German: a row is never nameless).
MODELTRANSLATION_DEFAULT_LANGUAGE = "fr"
MODELTRANSLATION_LANGUAGES = ("fr", "de", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("fr", "en", "de")
TIME_ZONE = "Europe/Zurich"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Attachments: the limits the forms enforce, with a clear message.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
ATTACHMENT_MAX_FILES = int(os.environ.get("ATTACHMENT_MAX_FILES", 5))
# Files of a form sent back with an error are kept this long for their uploader (hours).
PENDING_UPLOAD_MAX_AGE_HOURS = int(os.environ.get("PENDING_UPLOAD_MAX_AGE_HOURS", 24))
# The longest comment, note or action text anyone may post (characters).
COMMENT_MAX_LENGTH = int(os.environ.get("COMMENT_MAX_LENGTH", 20000))
# Per person, against floods (django-ratelimit rates: "20/m", "30/h"): what one person may
# post; beyond, a 429 page and nothing written.
FLOOD_RATES = {
    "comment": os.environ.get("COMMENT_RATE", "20/m"),
    "request": os.environ.get("REQUEST_RATE", "20/h"),
}
ATTACHMENT_ALLOWED_EXTENSIONS = env_list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    ["pdf", "png", "jpg", "jpeg", "gif", "webp", "txt", "log", "csv", "xlsx", "xls", "docx",
     "doc", "zip", "xml", "json"],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# E-mail: files under var/mail/ in the embedded default, SMTP from the environment otherwise.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
else:
    EMAIL_BACKEND = "requests_app.mail_backends.OneFilePerMessageBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "SPT Portal <no-reply@spt.invalid>")
# News of one request for one person within this many seconds of each other go out as one
# e-mail (requests_app/outbox.py); 0 sends each at once. The confirmation request, the
# receipt and the password reset never wait.
NOTIFICATION_GROUP_SECONDS = int(os.environ.get("NOTIFICATION_GROUP_SECONDS", 120))

# Celery: Redis when REDIS_URL is set, otherwise kombu's file-system transport (no server).
CELERY_BROKER_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# The SLO app records crossings and hands them to this handler, so that slo never imports
# requests_app.
SLO_CROSSING_HANDLER = "requests_app.events.slo_crossing_record"
# ... and asks this provider for the requests' subjects (status, priority) when it recomputes.
SLO_SUBJECT_PROVIDER = "requests_app.slo_inputs.slo_subjects_for"
# ... and hands it the requests' nearest due and warning instants the recomputation moved.
SLO_NEAREST_RECORDER = "requests_app.slo_inputs.slo_nearest_record"
# ... and asks this one for the SLO report's breakdowns (priority, organisation), which the
# roll-ups are kept for.
SLO_REPORT_BREAKDOWNS = "requests_app.selectors.reports.report_breakdowns"

# Content Security Policy: nothing from another site, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEMO_MODE)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Production posture ----------------------------------------------------------------------
# HTTPS only, outside demo mode (demo mode is plain http on 127.0.0.1): plain http redirected,
# HSTS for a year on this host and its subdomains, with the preload directive (browsers
# preload the site only once its operator submits it to their list). Each one can be turned
# down from the environment, e.g. SECURE_HSTS_INCLUDE_SUBDOMAINS=0 while a subdomain still
# serves plain http. `manage.py check --deploy` with the README's production environment
# answers no warning (tests/requests_app/test_posture.py).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEMO_MODE)
# The container's health probe asks for /healthz over plain http, from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS") or (0 if DEMO_MODE else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS",
                                          default=not DEMO_MODE)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEMO_MODE)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The password reset (django-ratelimit rates): past the rate for one address, the same answer
# as any other (nothing is sent; an attacker learns nothing); past the rate for one client
# address, a 429 page. Every accepted form is answered no sooner than PASSWORD_RESET_MIN_SECONDS
# after it arrived, so that the time of the answer does not tell whether the address has an
# account.
PASSWORD_RESET_RATES = {
    "address": os.environ.get("PASSWORD_RESET_ADDRESS_RATE", "3/h"),
    "client": os.environ.get("PASSWORD_RESET_CLIENT_RATE", "20/h"),
}
PASSWORD_RESET_MIN_SECONDS = float(os.environ.get("PASSWORD_RESET_MIN_SECONDS", "0.5"))
# Right after the messages (they say why a session ended): the clients of a deactivated
# organisation are signed out on their next request, and every answer to a signed-in person
# is marked "private, no-store" (no shared cache, no copy on disk; static files are served
# before, untouched).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "requests_app.middleware.PrivateCacheControlMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("requests_app.middleware.PrivateCacheControlMiddleware") + 1,
    "requests_app.middleware.InactiveOrganisationMiddleware",
)
# --- end of the production posture -----------------------------------------------------------

RATELIMIT_USE_CACHE = "default"
# The client address of the login protection (CLIENT_IP_HEADER behind a proxy) for every limit.
RATELIMIT_IP_META_KEY = "requests_app.login_protection.client_ip_for_rate_limits"
CACHES: dict[str, dict[str, Any]] = (
    {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    if REDIS_URL
    else {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
)

# --- Faults: what an unreachable Redis, mail server or database costs ------------------------
# Redis, the broker and the cache: a stopped server refuses at once, a frozen one (a paused
# VM, a network dropping packets) accepts connections and never answers. Neither is needed to
# serve a page: an e-mail whose publish fails stays an outbox row for the sweep
# (requests_app/outbox.py), and the cache answers as a miss while Redis is unreachable
# (portal/cache.py). These timeouts (seconds) bound what it costs an action: about one socket
# timeout for the cache (then skipped for a few seconds) and one for the publish.
REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", 0.5))
REDIS_CONNECT_TIMEOUT = float(os.environ.get("REDIS_CONNECT_TIMEOUT", 0.5))
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS.update({
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    })
    CACHES["default"] = {
        "BACKEND": "portal.cache.DegradingRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_timeout": REDIS_SOCKET_TIMEOUT,
                    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT},
    }
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
# django-ratelimit's counters (flood limits) live in the cache: with Redis unreachable they
# let the post through (portal/cache.py logs it) rather than refuse everyone.
RATELIMIT_FAIL_OPEN = True
# SMTP: EMAIL_TIMEOUT bounds every exchange with the mail server but the last reply of DATA,
# which EMAIL_DATA_TIMEOUT bounds: RFC 5321 (4.5.3.2.6) asks clients to wait 10 minutes for it,
# and a client that gives up sooner re-sends a message the server may have stored
# (portal/smtp.py). The outbox's claim on a row being sent (OUTBOX_CLAIM_SECONDS) must outlast
# the longest send, or the sweep hands a send still under way to another worker: by default
# that worst case (SMTP_EXCHANGES exchanges at EMAIL_TIMEOUT, then the end of DATA) plus a
# minute. A shorter claim is refused. A worker killed mid-send has its row sent again once the
# claim expires.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 20))
EMAIL_DATA_TIMEOUT = int(os.environ.get("EMAIL_DATA_TIMEOUT", 600))
# Connect, greeting, EHLO, STARTTLS and its handshake, EHLO, AUTH (up to three replies), MAIL,
# RCPT, DATA, the body, QUIT: each may take up to EMAIL_TIMEOUT.
SMTP_EXCHANGES = 14
OUTBOX_LONGEST_SEND_SECONDS = SMTP_EXCHANGES * EMAIL_TIMEOUT + EMAIL_DATA_TIMEOUT
OUTBOX_CLAIM_SECONDS = int(os.environ.get("OUTBOX_CLAIM_SECONDS")
                           or OUTBOX_LONGEST_SEND_SECONDS + 60)
if OUTBOX_CLAIM_SECONDS <= OUTBOX_LONGEST_SEND_SECONDS:
    raise ImproperlyConfigured(
        f"OUTBOX_CLAIM_SECONDS ({OUTBOX_CLAIM_SECONDS}) must outlast the longest send, "
        f"{OUTBOX_LONGEST_SEND_SECONDS} s with EMAIL_TIMEOUT={EMAIL_TIMEOUT} and "
        f"EMAIL_DATA_TIMEOUT={EMAIL_DATA_TIMEOUT}."
    )
if EMAIL_HOST:
    EMAIL_BACKEND = "portal.smtp.EmailBackend"
# /healthz answers 503 with "outbox": "stale" when beat's last outbox sweep is older than
# OUTBOX_SWEEP_STALE_SECONDS (it sweeps every minute) or the oldest unsent e-mail older than
# OUTBOX_UNSENT_STALE_SECONDS (a crashed send waits for its claim; a mail server refusing, for
# the back-off).
OUTBOX_SWEEP_STALE_SECONDS = int(os.environ.get("OUTBOX_SWEEP_STALE_SECONDS", 300))
OUTBOX_UNSENT_STALE_SECONDS = int(os.environ.get("OUTBOX_UNSENT_STALE_SECONDS",
                                                 max(1800, OUTBOX_CLAIM_SECONDS + 180)))
# --- end of faults ---------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# "Clore sans réponse" becomes possible once the client has been silent this long.
CUSTOMER_WAIT_BUSINESS_DAYS = int(os.environ.get("CUSTOMER_WAIT_BUSINESS_DAYS", 10))

if CELERY_BROKER_URL == "filesystem://":
    # kombu's file-system transport needs its folders before the first message.
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
# WhiteNoise serves from the finders in the embedded default; the folder collectstatic fills
# in production must exist all the same.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)

FORMAT_MODULE_PATH = ["portal.formats"]
