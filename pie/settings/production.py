"""
Settings for production, read from the environment and from a YAML file.

As in other Open edX services, ``PIE_CFG`` names a YAML file whose top-level keys
override the settings of the same name (for example ``SECRET_KEY``, ``ALLOWED_HOSTS``,
``DATABASES``, ``CACHES``). Environment variables are read first, so the YAML file has the
last word. The file takes the environment's names too, even those that are not settings
of that name: ``DATABASE_URL``, ``CACHE_REDIS_URL``, ``CACHE_REDIS_TIMEOUT_SECONDS``,
``JWT_ISSUERS``, ``JWT_PUBLIC_SIGNING_JWK_SET`` and ``PIE_LEARNER_WRITE_RATE`` (the file's
value is used where the environment's would be). No secret has a usable default: a missing
one stops the service at start-up.

A ``DATABASES`` mapping in the file (Open edX's form: ``ENGINE``, ``NAME``, ``USER``...,
any aliases) replaces the environment's ``DATABASE_URL``; each of its MySQL/MariaDB aliases
gets the options a ``DATABASE_URL`` gets (``pie.settings.base.configured_database``), and
production's ``CONN_MAX_AGE``. A file with both ``DATABASES`` and ``DATABASE_URL`` is refused.

Browser clients: ``CORS_ORIGIN_WHITELIST`` (a comma-separated list in the environment, a
list in the YAML file; empty by default) names the micro-frontends' origins, which are
also ``CSRF_TRUSTED_ORIGINS``; ``CSRF_COOKIE_DOMAIN`` optionally shares PIE's CSRF cookie
across the site's subdomains. The CSRF and session cookies are ``Secure``.

JWT authentication takes the LMS's issuers and public signing keys from the environment
(``JWT_ISSUERS``, a JSON list of ``{"ISSUER", "AUDIENCE", "SECRET_KEY"}``, and
``JWT_PUBLIC_SIGNING_JWK_SET``, a JSON JWK set), from the same names in the YAML file (a list
or JSON text; JSON text or a mapping), or from a ``JWT_AUTH`` mapping in the YAML file,
merged key by key over them and the defaults of ``base.py``. Without them the ``pie.E00x``
system checks fail (``manage.py check --deploy``, ``migrate``), and every token is refused
(``pie.apps.core.jwt_decode``), so a missing key set never means "accept any signature".

The event bus settings (``EVENT_BUS_...``, ``PIE_EVENT_...``, docs/events.rst) are read from
the environment by ``base.py``; the YAML file may set them too. Only the consumer processes
need them: the web processes never connect to the bus.

Admin sign-in through the LMS (``SOCIAL_AUTH_EDX_OAUTH2_KEY``, ``_SECRET``, ``_URL_ROOT``,
optionally ``_PUBLIC_URL_ROOT`` and ``_LOGOUT_URL``) is read by ``base.py`` too.

A required setting left unset (``pie.settings.required``: the secret, the database, the
hosts, the cache, the JWT issuers and keys, the retirement salts, the LMS sign-in) stops
every command and the server with one line naming all that is missing; a value whose form
cannot work (``pie.settings.values``: an integer that is not one, hosts as a string, a bogus
rate or cache URL) stops them with one line naming it.

The cache's client waits at most ``CACHE_REDIS_TIMEOUT_SECONDS`` for Redis, which PIE does
without while it is down (ADR 18).
"""

import json

import yaml

from pie.settings.base import *  # noqa: F403
from pie.settings.base import (
    JWT_AUTH,
    REST_FRAMEWORK,
    database_from_url,
    databases_from_mapping,
    env,
    with_read_replica,
)
from pie.settings.required import ConfigurationError, refuse_missing
from pie.settings.values import refusal, refuse_unusable

CONFIG_FILE = env.str("PIE_CFG", default=None)
config_from_yaml = {}
if CONFIG_FILE:
    try:
        with open(CONFIG_FILE, encoding="utf-8") as config_file:
            config_from_yaml = yaml.safe_load(config_file) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        reason = " ".join(str(error).split())
        raise ConfigurationError(f"PIE cannot start: the PIE_CFG file {CONFIG_FILE} cannot be read: {reason}") from None
    if not isinstance(config_from_yaml, dict):
        raise ConfigurationError(
            f"PIE cannot start: the PIE_CFG file {CONFIG_FILE} must hold a mapping of setting names to values."
        )


def file_or_environment(name: str, read_environment):
    """
    The file's value of ``name`` (taken out of it) if it has the key, else ``read_environment(name)``:
    a setting built from an environment variable takes the file's key of the same name instead.
    """
    return config_from_yaml.pop(name) if name in config_from_yaml else read_environment(name)


DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default=None)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
# Persistent connections (60 s, checked before reuse): a new MariaDB connection, and its
# session set-up, for every request would cost more than most requests.
PRODUCTION_CONN_MAX_AGE = 60
if "DATABASES" in config_from_yaml:
    # As Open edX configurations write it (ENGINE, NAME, USER...), any alias: each MySQL one
    # gets the options a DATABASE_URL gets (pie.settings.base.configured_database).
    if "DATABASE_URL" in config_from_yaml:
        raise refusal("DATABASES", f"alone in the PIE_CFG file {CONFIG_FILE}, without DATABASE_URL (both name it)")
    DATABASES = databases_from_mapping(config_from_yaml.pop("DATABASES"), conn_max_age=PRODUCTION_CONN_MAX_AGE)
elif "DATABASE_URL" in config_from_yaml or "DATABASE_URL" in env.ENVIRON:
    DATABASES = {
        "default": database_from_url(file_or_environment("DATABASE_URL", env.str), conn_max_age=PRODUCTION_CONN_MAX_AGE)
    }
else:
    DATABASES = {}
# A read replica (ADR 0030): READ_REPLICA_DATABASE_URL (file or environment), or DATABASES'
# read_replica alias in the file; the writer's options either way.
DATABASES = with_read_replica(
    DATABASES,
    file_or_environment("READ_REPLICA_DATABASE_URL", lambda name: env.str(name, default=None)),
    conn_max_age=PRODUCTION_CONN_MAX_AGE,
)


def jwt_issuers(issuers):
    """The issuers as the file gives them: a list, or JSON text as in the environment."""
    if not isinstance(issuers, str):
        return issuers
    try:
        return json.loads(issuers)
    except ValueError:
        raise refusal("JWT_ISSUERS", "JSON text, or a list in the PIE_CFG file") from None


JWT_AUTH = {
    **JWT_AUTH,
    "JWT_ISSUERS": jwt_issuers(file_or_environment("JWT_ISSUERS", lambda name: env.json(name, default=[]))),
    "JWT_PUBLIC_SIGNING_JWK_SET": file_or_environment(
        "JWT_PUBLIC_SIGNING_JWK_SET", lambda name: env.str(name, default=None)
    ),
}
# A JWT_AUTH mapping in the file is merged over them, key by key, so it names only what differs.
jwt_auth_from_yaml = config_from_yaml.pop("JWT_AUTH", None) or {}
if not isinstance(jwt_auth_from_yaml, dict):
    raise refusal("JWT_AUTH", f"a mapping of JWT settings in the PIE_CFG file {CONFIG_FILE}")
JWT_AUTH = {**JWT_AUTH, **jwt_auth_from_yaml}
if isinstance(JWT_AUTH.get("JWT_PUBLIC_SIGNING_JWK_SET"), dict):
    # Written as a YAML mapping: edx-drf-extensions reads the set as JSON text.
    JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"] = json.dumps(JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"])

# The cache every worker shares (the learners' write throttle counts there): Redis. PIE
# does without it while it is down (ADR 18), so a connection or a read waits for it no
# longer than CACHE_REDIS_TIMEOUT_SECONDS (redis-py's own default is 5 s). A CACHES
# mapping in the file replaces it whole.
CACHE_REDIS_TIMEOUT_SECONDS = file_or_environment(
    "CACHE_REDIS_TIMEOUT_SECONDS", lambda name: env.float(name, default=0.25)
)
if not isinstance(CACHE_REDIS_TIMEOUT_SECONDS, int | float) or isinstance(CACHE_REDIS_TIMEOUT_SECONDS, bool):
    raise refusal("CACHE_REDIS_TIMEOUT_SECONDS", "a number of seconds")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": file_or_environment("CACHE_REDIS_URL", lambda name: env.str(name, default=None)),
        "OPTIONS": {
            "socket_connect_timeout": CACHE_REDIS_TIMEOUT_SECONDS,
            "socket_timeout": CACHE_REDIS_TIMEOUT_SECONDS,
        },
    }
}
# A learner's own writes: more than any real learner makes (staff and services are not counted).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "learner_write": file_or_environment("PIE_LEARNER_WRITE_RATE", lambda name: env.str(name, default="100/hour"))
    },
}
# The micro-frontends' origins (e.g. https://apps.example.com): none unless configured.
CORS_ORIGIN_WHITELIST = env.list("CORS_ORIGIN_WHITELIST", default=[])
CSRF_COOKIE_DOMAIN = env.str("CSRF_COOKIE_DOMAIN", default=None)

# The LMS sends the browser back to PIE's https:// address after sign-in.
SOCIAL_AUTH_REDIRECT_IS_HTTPS = env.bool("SOCIAL_AUTH_REDIRECT_IS_HTTPS", default=True)

if "PIE_EVENT_BUS_TOPIC" in config_from_yaml:
    # The certificate topic's former name (the check pie.W020 asks for the new one).
    config_from_yaml.setdefault("PIE_EVENT_BUS_CERTIFICATE_TOPIC", config_from_yaml["PIE_EVENT_BUS_TOPIC"])
# The file's other keys override the settings of the same name.
vars().update(config_from_yaml)

# Cookie-authenticated writes are trusted from the CORS origins, whichever source named them.
CSRF_TRUSTED_ORIGINS = CORS_ORIGIN_WHITELIST

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Last: every required setting, whichever source gave it (one line naming all that is missing),
# then the first whose shape cannot work.
refuse_missing(vars())
refuse_unusable(vars())
