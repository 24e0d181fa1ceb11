"""Insyn's one settings module. Every value comes from the environment (see docs/operations.md).

Safe defaults make `make demo` work with nothing set: SQLite under ``var/``, a secret key and
a token key generated into the data directory, DEBUG off.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from insyn.lib.crypto import generate_key
from insyn.lib.env import env_bool, env_int, env_list, env_secret, env_str, random_secret_key
from insyn.lib.policy import policy_file_path

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("INSYN_DATA_DIR", "var")).resolve()

SECRET_KEY = env_secret("INSYN_SECRET_KEY", DATA_DIR, "secret_key", random_secret_key)
# Fernet keys for platform tokens, newest first (comma separated) — rotated without downtime.
TOKEN_KEYS = env_list(
    "INSYN_TOKEN_KEYS", [env_secret("INSYN_TOKEN_KEY", DATA_DIR, "token_key", generate_key)]
)

DEBUG = env_bool("INSYN_DEBUG", False)
ALLOWED_HOSTS = env_list("INSYN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("INSYN_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("INSYN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "insyn.eventlog",
    "insyn.registry",
    "insyn.archive",
    "insyn.capture",
    "insyn.records",
    "insyn.records.snapshots",
    "insyn.records.utlamnande",
    "insyn.records.earchive",
    "insyn.inbox",
    "insyn.server",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "insyn.registry.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "insyn.registry.middleware.PolicyAcknowledgementMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "insyn.urls"
WSGI_APPLICATION = "insyn.wsgi.application"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "insyn.registry.context_processors.insyn",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'insyn.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("INSYN_DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction begins, so two writers never
        # deadlock on a lock upgrade; WAL lets readers go on while one process writes.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=30000;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": env_str("INSYN_TEST_SQLITE", "") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "registry.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Samordnare must pass TOTP two-factor; set to false only for a closed test installation.
REQUIRE_TWO_FACTOR = env_bool("INSYN_REQUIRE_TWO_FACTOR", True)
OTP_TOTP_ISSUER = "Insyn"

# OpenID Connect (Entra ID and others), enabled when a client id is configured.
OIDC_RP_CLIENT_ID = env_str("INSYN_OIDC_CLIENT_ID", "")
if OIDC_RP_CLIENT_ID:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("insyn.registry.oidc.InsynOIDCBackend")
    OIDC_RP_CLIENT_SECRET = env_str("INSYN_OIDC_CLIENT_SECRET", "")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("INSYN_OIDC_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env_str("INSYN_OIDC_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env_str("INSYN_OIDC_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = env_str("INSYN_OIDC_JWKS_ENDPOINT")
    OIDC_RP_SIGN_ALGO = env_str("INSYN_OIDC_SIGN_ALGO", "RS256")
    OIDC_RP_SCOPES = "openid email profile"
    OIDC_CREATE_USER = env_bool("INSYN_OIDC_CREATE_USER", False)

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", "Svenska"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": DATA_DIR / "media"}},
    "staticfiles": {"BACKEND": "insyn.server.storage.StaticStorage"},
}
if DEBUG or env_bool("INSYN_STATIC_FROM_FINDERS", False):
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("INSYN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("INSYN_SESSION_SECONDS", 8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}

_email_backend = env_str("INSYN_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
if _email_backend.endswith("filebased.EmailBackend"):
    _email_options = {"file_path": str(DATA_DIR / "mail")}
elif _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": env_str("INSYN_EMAIL_HOST", "localhost"),
        "port": env_int("INSYN_EMAIL_PORT", 25),
        "username": env_str("INSYN_EMAIL_USER", ""),
        "password": env_str("INSYN_EMAIL_PASSWORD", ""),
        "use_tls": env_bool("INSYN_EMAIL_USE_TLS", False),
        "timeout": 20,
    }
else:
    _email_options = {}
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env_str("INSYN_EMAIL_FROM", "insyn@localhost")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The guidelines in force; the default is Ånge kommun's, shipped with Insyn.
POLICY_FILE = str(policy_file_path())

# E-archive delivery: where CITS ERMS.xsd/erms.sch are read from at run time (not shipped; see
# docs/earchive.md). Empty: ../shared/reference/schemas/cits-erms beside the project, if present.
EARCHIVE_ERMS_SCHEMA_DIR = env_str("INSYN_EARCHIVE_ERMS_SCHEMA_DIR", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("INSYN_LOG_LEVEL", "INFO")},
    # httpx logs request URLs at INFO; platform calls are logged by Insyn itself, without tokens.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"},
                "httpcore": {"level": "WARNING"}, "django.tasks": {"level": "WARNING"},
                "django_tasks_db": {"level": "WARNING"}},
}

# Platforms. The API roots are settings so the same code talks to the real platforms and to
# the simulator (`insyn demo`) or a test stand-in.
FACEBOOK_GRAPH_URL = env_str("INSYN_FACEBOOK_GRAPH_URL", "https://graph.facebook.com").rstrip("/")
# The YouTube Data API root (methods under /youtube/v3/); the simulator's main port in the demo.
YOUTUBE_API_URL = env_str("INSYN_YOUTUBE_API_URL", "https://www.googleapis.com").rstrip("/")
FACEBOOK_APP_SECRET = env_str("INSYN_FACEBOOK_APP_SECRET", "")
FACEBOOK_VERIFY_TOKEN = env_str("INSYN_FACEBOOK_VERIFY_TOKEN", "")
# Largest attachment stored from a platform (bytes).
MEDIA_MAX_BYTES = env_int("INSYN_MEDIA_MAX_BYTES", 25 * 1024 * 1024)

# Snapshots (R25): Debian's Chromium, driven by Playwright, takes the full-page screenshots.
CHROMIUM_PATH = env_str("INSYN_CHROMIUM", "/usr/bin/chromium")
SNAPSHOT_SCREENSHOT_TIMEOUT_MS = env_int("INSYN_SNAPSHOT_SCREENSHOT_TIMEOUT_MS", 30000)
