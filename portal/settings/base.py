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

from portal.settings.timings import outbox_timings, webhook_timings

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
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mozilla_django_oidc",
    "django_prometheus",
    "requests_app",
    "slo",
    "api",
    "webhooks",
]

MIDDLEWARE = [
    # First and (almost) last: django-prometheus counts and times every request (section
    # "Observability").
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The request id, before anything logs or answers (portal/request_id.py).
    "portal.request_id.RequestIdMiddleware",
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
    # Outside axes' middleware, so that the status it counts is the 429 of a lockout.
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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

# --- Single sign-on ---------------------------------------------------------------------------
# OpenID Connect (mozilla-django-oidc, requests_app/sso.py), off unless OIDC_RP_CLIENT_ID and
# the provider (OIDC_OP_DISCOVERY_URL, or the four explicit endpoints, which win over what
# discovery says) are set. The discovery document is read at the first sign-in, never at
# start-up: a provider that is down leaves the local sign-in working. Who may sign in and with
# which roles: requests_app/services/sso.py. OIDC_ROLE_MAP ("idp-group=Role,…") maps the
# provider's groups (the OIDC_GROUPS_CLAIM claim, e.g. "roles" for Entra ID's app roles) to our
# roles; OIDC_CUSTOMERS lets clients in too, whose organisation is named by the
# OIDC_ORGANISATION_CLAIM claim or found by their e-mail's domain (OIDC_CUSTOMER_DOMAINS,
# "domain=Organisation name,…"). OIDC_TRUST_IDP_MFA: the provider's own second factor stands
# for ours.
def _env_map(name: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in env_list(name, []):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name}: {item!r} is not of the form key=value.")
        pairs[key.strip()] = value.strip()
    return pairs


OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "").strip()
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_DISCOVERY_URL = os.environ.get("OIDC_OP_DISCOVERY_URL", "").strip()
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "").strip()
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "").strip()
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "").strip()
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "").strip()
# The id_token's "iss" must be this one (discovery's "issuer" when empty).
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "").strip()
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256").strip()
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile groups")
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups").strip()
OIDC_ROLE_MAP = _env_map("OIDC_ROLE_MAP")
OIDC_CUSTOMERS = env_bool("OIDC_CUSTOMERS", default=False)
OIDC_ORGANISATION_CLAIM = os.environ.get("OIDC_ORGANISATION_CLAIM", "organisation").strip()
OIDC_CUSTOMER_DOMAINS = {domain.lower().lstrip("@"): name
                         for domain, name in _env_map("OIDC_CUSTOMER_DOMAINS").items()}
OIDC_LABEL = os.environ.get("OIDC_LABEL", "").strip()
OIDC_TRUST_IDP_MFA = env_bool("OIDC_TRUST_IDP_MFA", default=True)
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", default=True)
# Seconds for each call to the provider (the library waits forever without it).
OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", 5))
OIDC_CALLBACK_CLASS = "requests_app.sso.SsoCallbackView"
OIDC_AUTHENTICATE_CLASS = "requests_app.sso.SsoStartView"
LOGIN_REDIRECT_URL_FAILURE = "login"
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID) and bool(
    OIDC_OP_DISCOVERY_URL or (OIDC_OP_AUTHORIZATION_ENDPOINT and OIDC_OP_TOKEN_ENDPOINT
                              and OIDC_OP_USER_ENDPOINT and OIDC_OP_JWKS_ENDPOINT)
)
if OIDC_ENABLED:
    from requests_app.permissions import ALL_ROLES

    _unknown_roles = sorted(set(OIDC_ROLE_MAP.values()) - set(ALL_ROLES))
    if _unknown_roles:
        raise ImproperlyConfigured(
            f"OIDC_ROLE_MAP names roles that do not exist: {', '.join(_unknown_roles)} "
            f"(the roles are: {', '.join(ALL_ROLES)})."
        )
    if OIDC_RP_SIGN_ALGO not in {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}:
        raise ImproperlyConfigured("OIDC_RP_SIGN_ALGO must be an RS or ES algorithm.")
    # After django-axes' backend, which stays first.
    AUTHENTICATION_BACKENDS.append("requests_app.sso.SsoBackend")
# A sign-in through the provider is neither refused by the password lockout nor counted by it
# (it has no username; the provider guards its own sign-in).
AXES_WHITELIST_CALLABLE = "requests_app.sso.exempt_from_lockout"
# --- end of single sign-on --------------------------------------------------------------------

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
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Object storage and sessions for several web nodes ---------------------------------------
# Attachments on S3-compatible object storage (django-storages) when AWS_STORAGE_BUCKET_NAME is
# set, so that every web node and worker sees the same files; otherwise under MEDIA_ROOT.
# AWS_S3_ENDPOINT_URL points at MinIO or another S3-compatible server (path-style addressing
# then, which MinIO needs); credentials come from boto3's own chain (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, or the host's role), never from this file. Objects stay private (no
# ACL of ours: the bucket's policy applies) and the portal streams every download through its
# access rule, never redirecting to a bucket URL. A name already taken is never overwritten.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
if AWS_STORAGE_BUCKET_NAME:
    _s3_endpoint = os.environ.get("AWS_S3_ENDPOINT_URL", "").strip()
    _s3_options: dict[str, Any] = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "location": os.environ.get("AWS_LOCATION", "").strip().strip("/"),
        "default_acl": None,
        "file_overwrite": False,
        # A download is read into memory up to this size, then into a temporary file.
        "max_memory_size": 1024 * 1024,
        "addressing_style": (os.environ.get("AWS_S3_ADDRESSING_STYLE", "").strip()
                             or ("path" if _s3_endpoint else None)),
    }
    if _s3_endpoint:
        _s3_options["endpoint_url"] = _s3_endpoint
    if os.environ.get("AWS_S3_REGION_NAME", "").strip():
        _s3_options["region_name"] = os.environ["AWS_S3_REGION_NAME"].strip()
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _s3_options}
# Sessions: with Redis, cached_db: read from the cache, written through to the database, which
# stays the truth. Every web node shares them, and they survive a Redis restart or outage (a
# miss reads the database; the cache degrades to misses, portal/cache.py), which the "cache"
# engine alone would not. Without Redis, the database.
SESSION_ENGINE = ("django.contrib.sessions.backends.cached_db" if REDIS_URL
                  else "django.contrib.sessions.backends.db")
# --- end of object storage and sessions ------------------------------------------------------

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
# ... and tells this recorder when its sweep ran (the heartbeat /metrics reads).
SLO_SWEEP_RECORDER = "requests_app.health.slo_sweep_record"

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
# The container's health probe asks for /healthz over plain http, from inside; so does the
# monitoring system for /metrics.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
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
# The outbox's other timings, checked at start-up like the claim (portal/settings/timings.py):
# a failed send is retried after OUTBOX_BACKOFF_BASE_SECONDS (60), doubled at each failure up
# to OUTBOX_BACKOFF_MAX_SECONDS (3600), until OUTBOX_MAX_ATTEMPTS (30, about a day of outage)
# mark it failed; the sweep re-publishes a row still unsent OUTBOX_SWEEP_GRACE_SECONDS (60)
# after it was due, so as not to race the task published on commit. The webhooks' deliveries
# follow the same back-off and attempts.
_OUTBOX = outbox_timings(os.environ, longest_send=OUTBOX_LONGEST_SEND_SECONDS)
OUTBOX_CLAIM_SECONDS = _OUTBOX["OUTBOX_CLAIM_SECONDS"]
OUTBOX_SWEEP_GRACE_SECONDS = _OUTBOX["OUTBOX_SWEEP_GRACE_SECONDS"]
OUTBOX_BACKOFF_BASE_SECONDS = _OUTBOX["OUTBOX_BACKOFF_BASE_SECONDS"]
OUTBOX_BACKOFF_MAX_SECONDS = _OUTBOX["OUTBOX_BACKOFF_MAX_SECONDS"]
OUTBOX_MAX_ATTEMPTS = _OUTBOX["OUTBOX_MAX_ATTEMPTS"]
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

# LOG_FORMAT: "json" (one JSON object a line, for a log collector; the default outside demo
# mode) or "text" (the default in demo mode, for `make run`'s console). Every record of a
# request carries its request_id (and its method, path and the signed-in person's id), those
# of a task the id of the request that published it (portal/request_id.py); "portal.access"
# writes one line per request (ACCESS_LOG=0 turns it off).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or ("text" if DEMO_MODE else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f'LOG_FORMAT must be "json" or "text", not {LOG_FORMAT!r}.')
ACCESS_LOG = env_bool("ACCESS_LOG", default=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "portal.request_id.RequestContextFilter",
                            "absent": None if LOG_FORMAT == "json" else "-"},
    },
    "formatters": {
        "json": {
            "()": "portal.request_id.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            # ISO 8601 in UTC, whatever the server's time zone.
            "timestamp": "time",
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_context"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# The worker logs through this configuration too (JSON, request ids) instead of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

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

# --- REST API (api/) -------------------------------------------------------------------------
# Django REST framework and drf-spectacular: /api/v1/, the schema at /api/schema/, its
# documentation at /api/docs/ with the viewer served from our own static files.
# Rates per person (reads and writes apart) and per client address for anonymous calls,
# "<number>/<s|min|h|day>"; counted in the default cache (Redis when REDIS_URL is set).
API_READ_RATE = os.environ.get("API_READ_RATE", "600/min")
API_WRITE_RATE = os.environ.get("API_WRITE_RATE", "60/min")
API_ANON_RATE = os.environ.get("API_ANON_RATE", "30/min")
REST_FRAMEWORK: dict[str, Any] = {
    # A personal token first (Authorization: Bearer …), then the browser's session (CSRF).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "api.authentication.ApiSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenScopePermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.ApiReadThrottle",
        "api.throttling.ApiWriteThrottle",
        "api.throttling.ApiAnonymousThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_read": API_READ_RATE, "api_write": API_WRITE_RATE, "api_anon": API_ANON_RATE,
    },
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "SPT Portal API",
    "DESCRIPTION": (
        "The SPT Portal's REST API. Authenticate with a personal API token created on "
        "\"Mon profil\" (Authorization: Bearer spt_…), or from the browser with the session "
        "(writes then also need the X-CSRFToken header). Every error answers "
        "{\"error\": {\"code\", \"message\", \"fields\"}} with a stable code: see the Error "
        "schema."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the public validator's site; the rest as Swagger UI's defaults.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.error_responses_add",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Operations tagged (grouped) by what follows /api/v1/: requests, queues, reference.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One name for the statuses wherever a serializer shows them.
    "ENUM_NAME_OVERRIDES": {"RequestStatusEnum": "requests_app.workflow.RequestStatus"},
}
# --- end of the REST API ---------------------------------------------------------------------

# --- Webhooks (webhooks/) --------------------------------------------------------------------
# The request events posted to the endpoints an administrator registered, from an outbox of
# deliveries (webhooks/services.py), signed with each endpoint's secret. WEBHOOK_TIMEOUT_SECONDS
# (10) bounds the wait for a receiver; the claim on a delivery being sent is derived from it.
# Failed deliveries are retried with the outbox's back-off and attempts (above).
_WEBHOOKS = webhook_timings(os.environ)
WEBHOOK_TIMEOUT_SECONDS = float(_WEBHOOKS["WEBHOOK_TIMEOUT_SECONDS"])
WEBHOOK_CLAIM_SECONDS = int(_WEBHOOKS["WEBHOOK_CLAIM_SECONDS"])
# The event kinds an endpoint may subscribe to, asked of the request app so that webhooks
# never imports it.
WEBHOOK_EVENT_KINDS_PROVIDER = "requests_app.events.webhook_event_kinds"
# --- end of webhooks -------------------------------------------------------------------------

# --- Observability ---------------------------------------------------------------------------
# /metrics (portal/metrics.py): Prometheus's exposition, for the monitoring system only. With
# METRICS_TOKEN set, only a request with "Authorization: Bearer <METRICS_TOKEN>"; with
# METRICS_ALLOWED_NETWORKS (CIDR blocks, comma-separated) set, only a client address in one
# of them; both set, both; neither, the local host only. Anyone else: 403.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()
METRICS_ALLOWED_NETWORKS: list[Any] | None = None
if os.environ.get("METRICS_ALLOWED_NETWORKS", "").strip():
    import ipaddress as _ipaddress

    try:
        METRICS_ALLOWED_NETWORKS = [
            _ipaddress.ip_network(_network, strict=False)
            for _network in env_list("METRICS_ALLOWED_NETWORKS", [])
        ]
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_NETWORKS must be CIDR blocks separated by commas: {_error}"
        ) from _error
# Database metrics (queries, errors, connections per alias): django-prometheus's backend is
# Django's own with the cursor counted, on PostgreSQL, the production database. The embedded
# SQLite keeps Django's own engine (tools such as pytest-django recognise it by that name).
_PROMETHEUS_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
}
for _database in DATABASES.values():
    _database["ENGINE"] = _PROMETHEUS_ENGINES.get(_database["ENGINE"], _database["ENGINE"])
# --- end of observability --------------------------------------------------------------------
