"""Settings shared by every environment; the environment switches the rest (README: Configuration)."""
import dj_database_url

from config.env import BASE_DIR, env_bool, env_list, env_str, var_dir

VAR_DIR = var_dir()

# --- Core ------------------------------------------------------------------------------------
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-" + "x" * 20)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

DJANGO_APPS = [
    "config.apps.RecoveryAdminConfig",  # django.contrib.admin with the OTP-aware site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "django_celery_beat",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
]
LOCAL_APPS = [
    "beneficiaries",
    "payers",
    "recovery",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "recovery.safeguards.body_size.BodySizeLimitMiddleware",  # first: refuses an oversize body unread
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files under gunicorn (scripts/serve)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "recovery.session_refresh.SessionRefreshMiddleware",  # renews the idle timeout (issue 10)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "recovery.second_factor.StaffSecondFactorMiddleware",  # staff: no page without the second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: DATABASE_URL, default an SQLite file ------------------------------------------
# https://github.com/jazzband/dj-database-url
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'recovery.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/portal/"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out user before the password is checked
    "config.auth_backends.OneQueryModelBackend",  # ModelBackend, permissions in one query (issue 10)
]

# Staff sign in to the admin with a second factor (django-otp TOTP). On by default in production.
STAFF_OTP_REQUIRED = env_bool("STAFF_OTP_REQUIRED", False)

# Repeated failed logins lock the account out (django-axes, database handler: no Redis needed).
AXES_FAILURE_LIMIT = int(env_str("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
# A user name from one address (issue 9): random names from one address (or one proxy) lock no one else.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "recovery.safeguards.client_address.axes_client_ip"  # the audit's address
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# An idle session ends after SESSION_IDLE_MINUTES; requests renew it, writing the session at most every
# SESSION_REFRESH_SECONDS (recovery.session_refresh — not on every request, issue 10).
SESSION_COOKIE_AGE = int(env_str("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = int(env_str("SESSION_REFRESH_SECONDS", "60"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# Content Security Policy (django-csp 4): same-origin everything, no inline scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],  # the Django admin uses inline style attributes
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
REFERRER_POLICY = "same-origin"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The client address for the audit log and the lockout: behind reverse proxies, name the header they
# append to (e.g. HTTP_X_FORWARDED_FOR) and how many trusted proxies there are (the entry that many
# from the right is taken; recovery/safeguards/client_address.py). Empty header means REMOTE_ADDR.
TRUSTED_PROXY_HEADER = env_str("TRUSTED_PROXY_HEADER", "")
TRUSTED_PROXY_COUNT = int(env_str("TRUSTED_PROXY_COUNT", "1"))

# Uploads: the largest file accepted (documents are checked by content, SPEC §9).
MAX_UPLOAD_BYTES = int(env_str("MAX_UPLOAD_MB", "10")) * 1024 * 1024
UPLOAD_QUOTA_BYTES = int(env_str("UPLOAD_QUOTA_MB", "200")) * 1024 * 1024  # per user per day (issue 9 #12)
TOKEN_TTL_HOURS = float(env_str("TOKEN_TTL_HOURS", "12"))  # API token lifetime (issue 9 #12)
# A whole request body larger than this is refused (413) from its Content-Length, unread (issue 9).
MAX_REQUEST_BYTES = int(env_str("MAX_REQUEST_MB", "12")) * 1024 * 1024
# What Django holds in memory: form fields up to 2 MB; a file over 2 MB streams to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "recovery.access.upload_handlers.RawNameUploadHandler",  # keeps the name the client sent, to refuse paths
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- I18N: dates are calendar dates in the contractor's time zone ----------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# collectstatic fills it for gunicorn; made here so whitenoise has a directory before that (it warns on
# every handler start otherwise, e.g. once per test client).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"  # letters and uploads; never served by a public URL
PRINT_QUEUE_DIR = env_str("PRINT_QUEUE_DIR", str(VAR_DIR / "print-queue"))

# --- Email (letters to recipients with an address go by email) --------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "sent-email")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env_str("EMAIL_PORT", "25"))
# Each SMTP operation waits at most this long: a hung server cannot hold a relay (issue 9).
EMAIL_TIMEOUT = int(env_str("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "recovery@msp-recovery.example")

# --- Celery: REDIS_URL, default kombu's filesystem transport (no server) --------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5,
                                       "max_retries": 0}
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder in and out, absolute, created beforehand: web, worker and beat share it.
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Fanout exchanges (remote control, pidbox): kombu's default is ./control in the working
        # directory, which left broker state inside the source tree.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# A web request must not hang on a broker that is down: no publish retries, short connect timeouts.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# --- Django REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "recovery.api.authentication.ExpiringTokenAuthentication",  # TOKEN_TTL_HOURS
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "recovery.pagination.FastPageNumberPagination",  # issue 10
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("API_THROTTLE_ANON", "30/min"),
                               "user": env_str("API_THROTTLE_USER", "600/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MSP recovery API",
    "DESCRIPTION": "Recovery cases for staff, representatives and insurers. Access as SPEC §8.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "recovery.cases.tracks.State",
        "OptionKindEnum": "recovery.models.OptionElection.Kind",
        "LetterKindEnum": "recovery.models.Letter.Kind",
        "LedgerEntryKindEnum": "recovery.models.LedgerEntry.Kind",
        "CoordinationPayerEnum": "payers.coordination.api.PAYERS",
        "PayerKindEnum": "payers.models.Payer.Kind",
        "AuthorisationKindEnum": "beneficiaries.models.Authorisation.Kind",
        "AuthorisationStatusEnum": "beneficiaries.models.Authorisation.Status",
        "ClaimStatusEnum": "recovery.models.Claim.Status",
    },
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
