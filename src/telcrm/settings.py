"""Settings for telcrm: the one module that reads the environment (architecture.md, convention 7).

Every variable has a documented default so a fresh clone runs with none set:

- ``DATABASE_URL``: the operational database (default SQLite in ``$TELCRM_DATA_DIR``).
- ``TELCRM_DATA_DIR``: where the SQLite file, the Parquet lake and generated files live
  (default ``var/`` in the working directory).
- ``TELCRM_SECRET_KEY``: Django's secret key (a development key by default).
- ``TELCRM_DEBUG``: ``1`` for Django's debug pages.
- ``TELCRM_ALLOWED_HOSTS``: comma-separated host names (default loopback only).
- ``TELCRM_SPARK_MASTER``: the Spark master URL the nightly run uses with ``--engine spark``
  (e.g. ``spark://host:7077``); empty by default, meaning ``local[N]`` on this machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

DATA_DIR = Path(os.environ.get("TELCRM_DATA_DIR", "var")).resolve()
LAKE_DIR = Path(os.environ.get("TELCRM_LAKE_DIR", str(DATA_DIR / "lake"))).resolve()
SECRET_KEY = os.environ.get("TELCRM_SECRET_KEY", "telcrm-development-key-not-for-production")
DEBUG = os.environ.get("TELCRM_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("TELCRM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
SPARK_MASTER = os.environ.get("TELCRM_SPARK_MASTER", "")
# The operator's short-message centre (SMSC), reached over SMPP 3.4.
SMPP_HOST = os.environ.get("TELCRM_SMPP_HOST", "127.0.0.1")
SMPP_PORT = int(os.environ.get("TELCRM_SMPP_PORT", "2775"))
SMPP_SYSTEM_ID = os.environ.get("TELCRM_SMPP_SYSTEM_ID", "telcrm")
SMPP_PASSWORD = os.environ.get("TELCRM_SMPP_PASSWORD", "telcrm")
SMPP_SOURCE_ADDR = os.environ.get("TELCRM_SMPP_SOURCE_ADDR", "10086")
# Outgoing mail (Django's own settings): a relay on loopback by default.
EMAIL_HOST = os.environ.get("TELCRM_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("TELCRM_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("TELCRM_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("TELCRM_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("TELCRM_SMTP_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("TELCRM_MAIL_FROM", "care@telcrm.example")
#: The address customers reach the app at, for links in messages (unsubscribe).
PUBLIC_URL = os.environ.get("TELCRM_PUBLIC_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",
    "telcrm.core",
    "telcrm.customers",
    "telcrm.billing",
    "telcrm.value",
    "telcrm.churn",
    "telcrm.nightly",
    "telcrm.tickets",
    "telcrm.care",
    "telcrm.ingest",
    "telcrm.simulate",
    "telcrm.web",
    "telcrm.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "telcrm.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "telcrm.urls"
WSGI_APPLICATION = "telcrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'telcrm.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web app read while an import or the nightly run writes; IMMEDIATE
    # transactions make writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA cache_size=-200000; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=1073741824;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: five failures for one user name from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Assets are served from the apps' static folders (WhiteNoise's finders): no collect step.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Uploaded files (ticket evidence) live with the data, never in the working directory;
# they are served only through views that check the user's scope, not as /media/.
MEDIA_ROOT = DATA_DIR / "media"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "telcrm.core.logging.MaskPiiFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_pii"]},
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The development server logs each request line, query string included: mask it too.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
