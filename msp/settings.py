"""Settings read from the environment.

With no environment at all the app runs on the embedded default: a SQLite file in
``var/``, Celery on kombu's filesystem broker, email to the console. Production sets
``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DEBUG=false``.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MSP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def get_bool_from_env(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def get_int_from_env(name: str, default: int) -> int:
    """An unset or empty variable (``SECURE_HSTS_SECONDS=`` in an env file) is its default;
    anything but a whole number stops start-up naming the variable, not with a bare int()."""
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def get_list_from_env(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (os.environ.get(name) or default).split(",") if item.strip()]


def get_int_list_from_env(name: str, default: str) -> tuple[int, ...]:
    items = get_list_from_env(name, default)
    if not all(item.isdecimal() for item in items):
        raise ImproperlyConfigured(
            f"{name} must be whole numbers separated by commas, not {os.environ[name]!r}"
        )
    return tuple(int(item) for item in items)


# The embedded default is a development setup: DEBUG on unless the environment says otherwise.
# Production (docker-compose.yml) sets DEBUG=false, and then everything below must be explicit.
DEBUG = get_bool_from_env("DEBUG", "DATABASE_URL" not in os.environ and "SECRET_KEY" not in os.environ)
TESTING = get_bool_from_env("MSP_TESTING", False)

if "SECRET_KEY" in os.environ:
    SECRET_KEY = os.environ["SECRET_KEY"]
elif DEBUG:
    # Generated once per checkout so sessions survive restarts; never used in production.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = key_file.read_text().strip()
else:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
# Encrypts the passwords the application must read back (msp.secrets); derived from
# SECRET_KEY when unset. Set it before rotating SECRET_KEY, or stored passwords are lost.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")

ALLOWED_HOSTS = get_list_from_env("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")

# Where e-mails sent outside a request (SLA alerts, ticket updates from the worker) link to:
# SITE_URL, else the development server, else the first allowed host over HTTPS (else none:
# site-relative links, when the hosts are all wildcards).
_first_host = next((host for host in ALLOWED_HOSTS if host[0] not in ".*"), "")
_default_site = "http://127.0.0.1:8000" if DEBUG else (f"https://{_first_host}" if _first_host else "")
SITE_URL = (os.environ.get("SITE_URL") or _default_site).rstrip("/")
CSRF_TRUSTED_ORIGINS = get_list_from_env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "djmoney",
    "django_htmx",
    "django_countries",
    "django_celery_beat",
    "msp",
    "audit",
    "assets",
    "contracts",
    "sales",
    "tickets",
    "timetracking",
    "billing",
    "monitoring",
    "inbox",
    "reports",
    "portal",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "msp.middleware.TenantMiddleware",
    "msp.actors.ActorMiddleware",
    "msp.middleware.UserLanguageMiddleware",
    "msp.middleware.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "msp.uploads.UploadTooLargeMiddleware",  # an upload the handler stopped: 413 / the form again
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "msp.middleware.ElsewhereNotFoundMiddleware",
]

ROOT_URLCONF = "msp.urls"
WSGI_APPLICATION = "msp.wsgi.application"

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
                "msp.context_processors.tenancy",
            ],
        },
    },
]
# Django's widget templates, with inputs, textareas and selects built in Python (same markup).
FORM_RENDERER = "msp.forms.renderers.QuickRenderer"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=get_int_from_env("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the Celery worker writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Form dropdowns iterate their querysets with .iterator(), which on PostgreSQL means a
    # server-side cursor WITH HOLD per dropdown (DECLARE, FETCH, CLOSE and a materialised
    # result). Their lists are small; one plain query is faster (and pgbouncer-safe).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Django's backend plus the tenant fence: row-level security follows the active scope.
    DATABASES["default"]["ENGINE"] = "msp.db.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "msp.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# Failed logins per username and per client address before a cool-down (see msp/throttling.py).
LOGIN_FAILURE_LIMIT = get_int_from_env("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = get_int_from_env("LOGIN_FAILURE_WINDOW_SECONDS", 900)

# Internationalisation: English and Italian; a user picks, a tenant has a default.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# Each request, task and e-mail shows times in the user's zone, else the tenant's
# (msp.middleware.TimezoneMiddleware, msp.tenant_tasks); one date style per language.
FORMAT_MODULE_PATH = ["msp.formats"]
# Off: numbers in templates are often ids (#1567, id="row-1567"); amounts and counts are
# formatted where they are shown (djmoney, intcomma, localize).
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Ticket attachments are private: stored through the "attachments" storage and served only
# by the download views, which check who may see the ticket (never by a static or media URL).
# On the filesystem under var/attachments by default; in any S3-compatible store (AWS S3,
# MinIO, Wasabi...) through django-storages when ATTACHMENTS_S3_BUCKET is set, credentials
# from boto3's usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
ATTACHMENT_MAX_MB_CEILING = 100  # no tenant may allow larger files than this
# Small uploads in memory; larger ones on disk, but never more of a file than the tenant allows.
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "msp.uploads.CappedTemporaryFileUploadHandler",
]
ATTACHMENTS_S3_BUCKET = os.environ.get("ATTACHMENTS_S3_BUCKET", "")
if ATTACHMENTS_S3_BUCKET:
    try:
        import storages  # noqa: F401
    except ImportError as exc:
        raise ImproperlyConfigured("ATTACHMENTS_S3_BUCKET needs django-storages[s3] installed") from exc
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            "endpoint_url": os.environ.get("ATTACHMENTS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ATTACHMENTS_S3_REGION") or None,
            "location": os.environ.get("ATTACHMENTS_S3_PREFIX", "attachments"),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    STORAGES["attachments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("ATTACHMENTS_DIR") or str(VAR_DIR / "attachments")},
    }

# Money: django-money, Decimal amounts; ROUND_HALF_UP to the currency's minor unit.
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "CAD", "AUD")
DEFAULT_CURRENCY = "EUR"

# Cache: Redis when configured (shared by all web processes, so throttling is global).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "msp_cache"}}
# Rendered fragments (queue rows), per process. Keys are built from every value the fragment
# shows, so an entry is never stale: a change makes a new key and the old one ages out.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "msp-fragments",
    "TIMEOUT": 600,
    "OPTIONS": {"MAX_ENTRIES": 20_000},
}

# Celery: Redis in production; kombu's filesystem broker needs no server for the embedded default.
CELERY_DATA_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    for sub in ("queue", "processed", "results", "control"):
        (CELERY_DATA_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_DATA_DIR / 'results'}"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Tests run tasks in-process; outside tests a missing broker is an error, never a silent eager fallback.
CELERY_TASK_ALWAYS_EAGER = TESTING
CELERY_TASK_EAGER_PROPAGATES = TESTING
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "msp.tasks.sessions_clear_expired_task",
        "schedule": 60 * 60 * 6,
    },
    "tickets-sla-sweep": {
        "task": "tickets.tasks.sla_sweep_task",
        "schedule": 60,
    },
    "purge-idempotency-keys": {
        "task": "msp.tasks.idempotency_purge_task",
        "schedule": 60 * 60 * 6,
    },
    "requeue-stale-emails": {
        "task": "msp.tasks.email_requeue_stale_task",
        "schedule": 60 * 5,
    },
    "contracts-trial-reminders": {
        "task": "contracts.tasks.trial_reminders_dispatch_task",
        "schedule": crontab(hour="7", minute="0"),
    },
    # Support mailboxes: one poll task per mailbox that is due (inbox.tasks), every minute.
    "inbox-poll": {
        "task": "inbox.tasks.mailbox_poll_dispatch_task",
        "schedule": 60,
    },
    "monitoring-sweep": {
        "task": "monitoring.tasks.monitoring_sweep_dispatch_task",
        "schedule": 60 * 5,
    },
    "billing-monthly-run": {
        "task": "billing.tasks.billing_run_dispatch_task",
        "schedule": crontab(day_of_month="1", hour="2", minute="0"),
    },
    # Last month's client reports, every hour of the 1st: each tenant's once its month is
    # over in its time zone (reports.tasks); the runs after that find them made.
    # SdI receipts dropped into SDI_RECEIPTS_DIR/<tenant slug>/ (billing.einvoice.folder).
    "billing-sdi-receipts": {
        "task": "billing.tasks.sdi_receipts_dispatch_task",
        "schedule": 60 * 5,
    },
    "reports-monthly": {
        "task": "reports.tasks.reports_month_dispatch_task",
        "schedule": crontab(day_of_month="1", minute="30"),
    },
}

# Email: console by default, so nothing fails for want of an SMTP server.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
if os.environ.get("EMAIL_URL") or os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = get_int_from_env("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = get_bool_from_env("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "MSP PSA <noreply@localhost>")
# Seconds an SMTP connection may hang before the worker gives up on this attempt (msp.mail).
EMAIL_TIMEOUT = get_int_from_env("EMAIL_TIMEOUT", 30)
# Support mailboxes polled over IMAP (inbox.polling): how often, how long a server may keep
# the worker waiting, and a CA bundle to trust besides the system's (a private CA's server).
INBOX_POLL_SECONDS = get_int_from_env("INBOX_POLL_SECONDS", 60)
INBOX_IMAP_TIMEOUT = get_int_from_env("INBOX_IMAP_TIMEOUT", 30)
INBOX_IMAP_CA_FILE = os.environ.get("INBOX_IMAP_CA_FILE", "")
# Messages one poll task files at most; a longer backlog goes on at the next beat.
INBOX_POLL_MAX_MESSAGES = get_int_from_env("INBOX_POLL_MAX_MESSAGES", 2000)
# A tenant's own mail server (its SMTP server, set in its organisation settings) may be on a
# private, loopback or link-local address only when this is on (the default in development):
# otherwise any organisation's admin could make the app dial, and report the answers of,
# services inside the network it runs in (msp.hosts).
TENANT_SERVERS_ALLOW_PRIVATE = get_bool_from_env("TENANT_SERVERS_ALLOW_PRIVATE", DEBUG)
# Prepaid hours: email a warning when these percentages of the current block are used.
HOURS_WARNING_LEVELS = get_int_list_from_env("HOURS_WARNING_LEVELS", "80,95")
# Received e-mail (inbox/): a larger message is kept without its body and dropped as too large
# (40 MB: a 20 MB attachment is 27 MB once base64-encoded); more Received headers than this
# is a mail loop.
INBOX_MAX_BYTES = get_int_from_env("INBOX_MAX_BYTES", 40 * 1024 * 1024)
INBOX_MAX_RECEIVED = get_int_from_env("INBOX_MAX_RECEIVED", 30)

# SdI receipts (billing.einvoice): the watched folder, one subfolder per tenant slug, whose
# files are imported and moved to done/ or failed/ (with a .error.txt); empty turns it off.
SDI_RECEIPTS_DIR = os.environ.get("SDI_RECEIPTS_DIR", str(VAR_DIR / "sdi-receipts"))
SDI_RECEIPT_MAX_BYTES = get_int_from_env("SDI_RECEIPT_MAX_BYTES", 1024 * 1024)

# REST API v1
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "msp.api.authentication.MembershipTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["msp.api.permissions.HasRolePermission"],
    # DRF's JSON, byte for byte, written by orjson (msp/api/renderers.py); then DRF's browsable API.
    "DEFAULT_RENDERER_CLASSES": [
        "msp.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # DRF's JSON, forms and multipart; JSON nested past 64 levels is a 400, not a RecursionError 500.
    "DEFAULT_PARSER_CLASSES": [
        "msp.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "msp.api.parsers.MultiPartParser",  # a multipart body without a field is refused
    ],
    "DEFAULT_PAGINATION_CLASS": "msp.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "msp.api.filters.FilterBackend",  # msp.filtersets: no DISTINCT, scoped choices
        "msp.api.filters.SearchFilter",  # a model's own search where it has one (msp.search)
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "msp.api.schema.AutoSchema",  # the error answers of every operation
    "EXCEPTION_HANDLER": "msp.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MSP PSA API",
    "DESCRIPTION": "Public REST API v1: token auth (`Authorization: Token <key>`), one token per membership.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set shared by several resources (asset kinds: assets, tiers, services).
    "ENUM_NAME_OVERRIDES": {
        "AssetKindEnum": "assets.choices.AssetKind",
        "OfferStatusEnum": "sales.choices.OfferStatus",
        "TicketStatusEnum": "tickets.choices.TicketStatus",  # a ticket's status and next_statuses
        "InvoiceKindEnum": "billing.models.InvoiceKind",
        "InvoiceLineKindEnum": "billing.models.LineKind",
        "InvoiceStatusEnum": "billing.models.InvoiceStatus",
        "AlertmanagerStatusEnum": "monitoring.adapters.alertmanager.STATUSES",
        "ExportFormatEnum": "billing.models.ExportFormat",  # an accounting export's format
        "IngestFormatEnum": "monitoring.choices.KeyFormat",  # beside the export's: both fields are "format"
        "CurrencyEnum": "msp.models.tenancy.CURRENCY_CHOICES",  # a client's currency, the tenant's default
        "EInvoiceStateEnum": "billing.models.EInvoiceState",  # an e-invoice's state, before and after a receipt
        "EInvoiceFormatEnum": "billing.models.EInvoiceFormat",
    },
}

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = get_bool_from_env("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = get_int_from_env("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_client_errors": {"()": "msp.logs.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) printed each of its records a second time
        # beside the root's: Django's records go to the root's handler only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # A permission refusal is one line, without the traceback of the PermissionDenied.
        "django.request": {"filters": ["one_line_client_errors"]},
    },
}
