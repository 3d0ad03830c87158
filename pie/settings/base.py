"""
Settings shared by every environment.

Each environment module (local, test, production) imports from here and overrides what
differs. Values that vary by deployment come from the environment through django-environ;
``DATABASE_URL`` is honoured everywhere.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()

DEBUG = False
SECRET_KEY = None  # each environment module sets it; production refuses to start without one
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "pie.apps.core",
    "pie.apps.intents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "pie.urls"
WSGI_APPLICATION = "pie.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

AUTH_USER_MODEL = "core.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"


def database_from_url(url: str) -> dict:
    """
    Build one ``DATABASES`` entry from a URL such as ``mysql://root:@127.0.0.1:3306/pie``.

    MySQL/MariaDB connections are made utf8mb4, strict, UTC and READ COMMITTED whatever
    the server's defaults, so behaviour does not depend on how the server was installed.
    """
    db = env.db_url_config(url)
    if db["ENGINE"] == "django.db.backends.mysql":
        options = db.setdefault("OPTIONS", {})
        options.setdefault("charset", "utf8mb4")
        options.setdefault("isolation_level", "read committed")
        options.setdefault(
            "init_command",
            "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO',"
            " time_zone='+00:00'",
        )
        db.setdefault("TEST", {}).update({"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"})
    db.setdefault("ATOMIC_REQUESTS", False)
    db.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
    return db


DEFAULT_SQLITE_URL = f"sqlite:///{BASE_DIR / 'pie.sqlite3'}"

DATABASES = {"default": database_from_url(env.str("DATABASE_URL", default=DEFAULT_SQLITE_URL))}

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

# How far in the future an intent's effective_timestamp may be, to allow for clock skew
# between PIE and the systems that report events to it.
PIE_INTENT_MAX_CLOCK_SKEW_SECONDS = env.int("PIE_INTENT_MAX_CLOCK_SKEW_SECONDS", default=300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "standard": {"format": "%(asctime)s %(levelname)s %(process)d [%(name)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "standard"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING", "propagate": True},
    },
}
