"""
Settings shared by every environment.

Each environment module (local, test, production) imports from here and overrides what
differs. Values that vary by deployment come from the environment through django-environ;
``DATABASE_URL`` is honoured everywhere.
"""

import logging
import socket
import warnings
from collections.abc import Mapping
from pathlib import Path

import orjson
from corsheaders.defaults import default_headers

from pie.apps.core.lms import LMS_JWT_VERSION
from pie.settings.values import Env, log_level, refusal

BASE_DIR = Path(__file__).resolve().parents[2]

# A value that cannot be parsed stops every command with one line naming it (pie.settings.values).
env = Env()

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
    "drf_spectacular",
    # The Open edX event signals, the producer and the consume_events command.
    "openedx_events",
    # Swagger UI's files, served from PIE's own static files: /api-docs/ needs no CDN.
    "drf_spectacular_sidecar",
    "corsheaders",
    # edx-drf-extensions' CSRF token endpoint for micro-frontends: /csrf/api/v1/token.
    "csrf",
    # Admin sign-in through the LMS (edx-auth-backends' EdXOAuth2): the OAuth2 exchange and its tables.
    "social_django",
    "pie.apps.core",
    "pie.apps.bus",
    "pie.apps.intents",
    "pie.apps.catalog",
    "pie.apps.engagement",
    "pie.apps.api",
]

MIDDLEWARE = [
    # Outermost: one log line per request (pie.apps.core.request_log), with the final status
    # and the whole time spent below it.
    "django_structlog.middlewares.RequestMiddleware",
    # Next, so that it sees every response: an error answered below as an HTML page
    # (DEBUG's technical pages, the browsable API) leaves as JSON in the one error shape.
    "pie.apps.core.middleware.JsonErrorMiddleware",
    # Next, before anything reads the body: a chunked body (no Content-Length) is read,
    # bounded, and given its length (411 where the server cannot pass it).
    "pie.apps.api.middleware.ChunkedBodyMiddleware",
    # Next, before anything decodes the query or the body.
    "pie.apps.core.charsets.TextEncodingMiddleware",
    # The request-scoped cache that the monitoring and JWT code below rely on.
    "edx_django_utils.cache.middleware.RequestCacheMiddleware",
    "edx_django_utils.monitoring.DeploymentMonitoringMiddleware",
    # Reports the custom attributes set during a request (set_custom_attribute) to the
    # telemetry backends in OPENEDX_TELEMETRY.
    "edx_django_utils.monitoring.MonitoringSupportMiddleware",
    # Before anything that can answer (WhiteNoise, CommonMiddleware, authentication): it
    # answers CORS preflights itself, without credentials, and adds the CORS headers to
    # every answer to an allowed origin, errors included.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves STATIC_ROOT (the admin's and the Swagger UI's files) from the app server,
    # so a production deployment needs no separate static file server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Rebuilds the edX JWT cookie from its two halves (header.payload and signature).
    "edx_rest_framework_extensions.auth.jwt.middleware.JwtAuthCookieMiddleware",
    # After authentication: records who called and how (request_user_id, auth type).
    "edx_rest_framework_extensions.middleware.RequestCustomAttributesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A failed sign-in through the LMS answers in the one error shape, never a 500.
    "pie.apps.core.sign_in.SignInErrorMiddleware",
]

# Local memory: each process its own. Production shares a Redis cache between workers.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

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

# Staff sign in to /admin/ with their LMS account (pie.apps.core.sign_in, edx-auth-backends'
# EdXOAuth2, as other Open edX services): PIE is an OAuth2 client of the LMS. The model
# backend stays, so that `manage.py createsuperuser` works where no LMS is configured; with
# SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT set, the admin's login page sends people to the LMS.
AUTHENTICATION_BACKENDS = [
    "auth_backends.backends.EdXOAuth2",
    "django.contrib.auth.backends.ModelBackend",
]
SOCIAL_AUTH_STRATEGY = "auth_backends.strategies.EdxDjangoStrategy"
SOCIAL_AUTH_URL_NAMESPACE = "social"
# The OAuth2 application registered in the LMS for PIE's sign-in (its client id and secret).
SOCIAL_AUTH_EDX_OAUTH2_KEY = env.str("SOCIAL_AUTH_EDX_OAUTH2_KEY", default=None)
SOCIAL_AUTH_EDX_OAUTH2_SECRET = env.str("SOCIAL_AUTH_EDX_OAUTH2_SECRET", default=None)
# The LMS as PIE reaches it (the token exchange), and as browsers do (authorize, logout;
# defaults to URL_ROOT).
SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT = env.str("SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT", default=None)
SOCIAL_AUTH_EDX_OAUTH2_PUBLIC_URL_ROOT = env.str("SOCIAL_AUTH_EDX_OAUTH2_PUBLIC_URL_ROOT", default=None)
# Where /logout/ sends the browser after ending PIE's session (default: the LMS's /logout).
SOCIAL_AUTH_EDX_OAUTH2_LOGOUT_URL = env.str("SOCIAL_AUTH_EDX_OAUTH2_LOGOUT_URL", default=None)
# Rights come from each sign-in's token: "administrator" makes staff and "superuser" a
# superuser, and both are taken away when the token no longer says so. social-core would
# protect these fields from the provider; the username and password stay protected (the
# email is updated by edx-auth-backends' own step). The token's user_id is the LMS user id.
SOCIAL_AUTH_NO_DEFAULT_PROTECTED_USER_FIELDS = True
SOCIAL_AUTH_PROTECTED_USER_FIELDS = ["username", "id", "pk", "email", "password", "is_active"]
SOCIAL_AUTH_USER_FIELD_MAPPING = {"user_id": "lms_user_id"}
# edx-auth-backends' pipeline (auth_backends.strategies.EdxDjangoStrategy's default), with
# a retired learner refused before any user is stored or loaded.
SOCIAL_AUTH_PIPELINE = (
    "social_core.pipeline.social_auth.social_details",
    "pie.apps.core.sign_in.refuse_retired_learners",
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    "social_core.pipeline.social_auth.social_user",
    "auth_backends.pipeline.get_user_if_exists",
    "social_core.pipeline.user.create_user",
    "social_core.pipeline.social_auth.associate_user",
    "social_core.pipeline.social_auth.load_extra_data",
    "social_core.pipeline.user.user_details",
    "auth_backends.pipeline.update_email",
)
SOCIAL_AUTH_REDIRECT_IS_HTTPS = env.bool("SOCIAL_AUTH_REDIRECT_IS_HTTPS", default=False)
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/admin/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Where collectstatic gathers the static files that WhiteNoise serves.
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")


# The engines PIE gives its MySQL/MariaDB set-up: Django's, and PIE's own (pie/db/mysql).
MYSQL_ENGINES = ("django.db.backends.mysql", "pie.db.mysql")

# What every MySQL/MariaDB connection is: an entry that says otherwise is refused.
MYSQL_REQUIRED_OPTIONS = {"charset": "utf8mb4", "isolation_level": "read committed"}

# Every MySQL/MariaDB session's own set-up, run last when a connection opens.
MYSQL_SESSION_SET_UP = (
    "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO', time_zone='+00:00'"
)


def database_from_url(url: str, *, conn_max_age: int = 0) -> dict:
    """
    Build one ``DATABASES`` entry from a URL such as ``mysql://root:@127.0.0.1:3306/pie``,
    with PIE's options (``configured_database``); the URL's query gives ``OPTIONS``.
    """
    if not isinstance(url, str):
        raise refusal("DATABASE_URL", "a database URL such as mysql://user:password@host:3306/pie")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # django-environ warns of a scheme it does not know, then returns {}
        db = env.db_url_config(url)
    if not db.get("ENGINE"):
        raise refusal("DATABASE_URL", "a database URL such as mysql://user:password@host:3306/pie")
    return configured_database(db, conn_max_age=conn_max_age)


def configured_database(entry: Mapping, *, conn_max_age: int = 0) -> dict:
    """
    One ``DATABASES`` entry (from a URL, or an alias of a ``DATABASES`` mapping) with PIE's options.

    MySQL/MariaDB connections (``ENGINE`` Django's ``django.db.backends.mysql`` or
    ``pie.db.mysql``; either becomes ``pie.db.mysql``) are made utf8mb4, strict, UTC and READ
    COMMITTED whatever the server's defaults, so behaviour does not depend on how the server
    was installed, and wait at most ``DATABASE_CONNECT_TIMEOUT_SECONDS`` to connect. An
    option the entry names itself (``connect_timeout``, ``read_timeout``, ``ssl``...) wins
    over PIE's, except that ``charset`` and ``isolation_level`` other than
    ``MYSQL_REQUIRED_OPTIONS``' are refused, and that the entry's ``init_command`` runs
    first, then PIE's session set-up (``MYSQL_SESSION_SET_UP``), so the session is always
    strict and UTC. ``ATOMIC_REQUESTS`` true is refused, whatever the engine.
    ``conn_max_age`` is the default of ``DATABASE_CONN_MAX_AGE``, itself the default of the
    entry's ``CONN_MAX_AGE``: how many seconds a connection is kept for the next requests
    (0: a new one for each request). A kept connection is checked before each request
    reuses it (``CONN_HEALTH_CHECKS``). The entry given is left unchanged.
    """
    db = {**entry, "OPTIONS": dict(entry.get("OPTIONS") or {}), "TEST": dict(entry.get("TEST") or {})}
    options = db["OPTIONS"]
    if db.get("ENGINE") in MYSQL_ENGINES:
        # Django's backend, reading DATETIME values faster (pie/db/mysql/base.py).
        db["ENGINE"] = "pie.db.mysql"
        for option, value in MYSQL_REQUIRED_OPTIONS.items():
            if options.setdefault(option, value) != value:
                raise refusal(f"the database's OPTIONS {option}", f"{value} (or left out)")
        # A database that accepts TCP and never answers fails the connection in seconds,
        # in every process (the read and write timeouts are the serving processes' only:
        # pie.apps.core.database).
        options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT_SECONDS", default=3))
        # The operator's own command (Open edX configurations set sql_mode there) runs, then
        # PIE's: a failure of the first fails the connection (the driver ignores a failure
        # of any later statement, and PIE's never fails).
        own_command = str(options.get("init_command") or "").strip().rstrip(";").strip()
        if own_command and not own_command.endswith(MYSQL_SESSION_SET_UP):
            options["init_command"] = f"{own_command}; {MYSQL_SESSION_SET_UP}"
        else:
            options["init_command"] = own_command or MYSQL_SESSION_SET_UP
        db["TEST"].update({"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"})
    elif db.get("ENGINE") == "django.db.backends.sqlite3":
        # Write transactions take the database's write lock when they begin, so concurrent
        # writers queue (for the busy timeout) rather than fail, and a transaction's reads
        # see no other writer's work under way: what retirement's order relies on (ADR 0017).
        options.setdefault("transaction_mode", "IMMEDIATE")
    if db.setdefault("ATOMIC_REQUESTS", False):
        # A request's transaction would hold each write's, which then could not be tried
        # again after a deadlock (pie.apps.core.transactions, ADR 0017).
        raise refusal("the database's ATOMIC_REQUESTS", "false (or left out): each write is its own transaction")
    db.setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=conn_max_age))
    db.setdefault("CONN_HEALTH_CHECKS", db["CONN_MAX_AGE"] != 0)
    return db


def databases_from_mapping(databases, *, conn_max_age: int = 0, source: str = "the PIE_CFG file") -> dict:
    """
    A ``DATABASES`` mapping as Open edX configurations write it (alias to entry; ``default``
    required, ``read_replica`` or any other alias optional), each entry ``configured_database``.
    """
    if not isinstance(databases, dict) or not all(isinstance(entry, dict) for entry in databases.values()):
        raise refusal("DATABASES", f"a mapping of aliases (default, ...) to database settings in {source}")
    return {alias: configured_database(entry, conn_max_age=conn_max_age) for alias, entry in databases.items()}


# How long the web workers and the event consumers wait for each read and write of a
# MySQL/MariaDB statement (pie.apps.core.database.bound_database_waits; 0: no limit). Other
# commands (migrations, bulk_insert_intents) have no such limit.
DATABASE_READ_TIMEOUT_SECONDS = env.int("DATABASE_READ_TIMEOUT_SECONDS", default=5)
DATABASE_WRITE_TIMEOUT_SECONDS = env.int("DATABASE_WRITE_TIMEOUT_SECONDS", default=5)

DEFAULT_SQLITE_URL = f"sqlite:///{BASE_DIR / 'pie.sqlite3'}"


# The read replica's alias (ADR 0030): reads the views choose go there, nothing else does.
READ_REPLICA = "read_replica"


def with_read_replica(databases: dict, url: str | None, *, conn_max_age: int = 0) -> dict:
    """
    ``databases`` with the ``read_replica`` alias of ``READ_REPLICA_DATABASE_URL`` (when
    given), with the writer's options (``configured_database``). A ``read_replica`` already
    in ``databases`` (a PIE_CFG ``DATABASES`` mapping) and a URL as well are refused. Its
    MySQL read and write timeouts default to ``READ_REPLICA_READ_TIMEOUT_SECONDS``. Under
    the test runner the alias mirrors the writer's test database; PIE's tests of a real
    replica run PIE as a server of its own.
    """
    if url:
        if READ_REPLICA in databases:
            raise refusal("READ_REPLICA_DATABASE_URL", f"or DATABASES' {READ_REPLICA}, not both")
        databases = {**databases, READ_REPLICA: database_from_url(url, conn_max_age=conn_max_age)}
    if READ_REPLICA in databases:
        entry = databases[READ_REPLICA]
        entry.setdefault("TEST", {}).setdefault("MIRROR", "default")
        if entry.get("ENGINE") == "pie.db.mysql":
            # A replica that hangs is given up sooner than the writer (the read then goes to
            # the writer), unless its entry names its own timeouts.
            seconds = env.int("READ_REPLICA_READ_TIMEOUT_SECONDS", default=2)
            entry["OPTIONS"].setdefault("read_timeout", seconds)
            entry["OPTIONS"].setdefault("write_timeout", seconds)
    return databases


DATABASES = with_read_replica(
    {"default": database_from_url(env.str("DATABASE_URL", default=DEFAULT_SQLITE_URL))},
    env.str("READ_REPLICA_DATABASE_URL", default=None),
)
# Migrations (and anything the ORM reads or writes) stay on the writer: pie.db.routers.
DATABASE_ROUTERS = ["pie.db.routers.WriterOnlyRouter"]
# Read-your-writes and the circuit breaker (pie.apps.core.replica, ADR 0030).
# After a learner's write, their reads go to the writer for this long unless MariaDB's GTID
# shows the replica has the write; without a binary log, for all of it: set it longer than
# the replica's worst lag.
READ_REPLICA_WRITE_WINDOW_SECONDS = env.int("READ_REPLICA_WRITE_WINDOW_SECONDS", default=60)
# How long a learner's read waits for the replica to apply their last write (MASTER_GTID_WAIT).
READ_REPLICA_GTID_WAIT_SECONDS = env.float("READ_REPLICA_GTID_WAIT_SECONDS", default=0.05)
# How long a replica that failed, or lagged past READ_REPLICA_MAX_LAG, is skipped.
READ_REPLICA_RETRY_SECONDS = env.float("READ_REPLICA_RETRY_SECONDS", default=5)
# How many transactions (the GTID gap) the replica may be behind before staff reads skip it.
READ_REPLICA_MAX_LAG = env.int("READ_REPLICA_MAX_LAG", default=1000)

REST_FRAMEWORK = {
    # JWT first, so that an unauthenticated API call is answered 401 with a
    # WWW-Authenticate header; sessions serve the admin (and staff trying the API in a browser).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "pie.apps.core.authentication.JwtAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # NotJwtRestrictedApplication refuses tokens the LMS marks as restricted (issued to
    # restricted OAuth applications), as every Open edX JWT endpoint must.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "edx_rest_framework_extensions.permissions.NotJwtRestrictedApplication",
    ],
    # JSON only: PIE's callers are programs, and people have the Swagger UI (/api-docs/).
    # orjson writes UUIDs and datetimes itself (UTC as "Z", as DRF's own JSON does).
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"],
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_UTC_Z,),
    # JSON or form-encoded bodies, as the contract says. Not multipart: Django drops a
    # multipart part sent as an empty file, which would turn a blank value into "omitted".
    "DEFAULT_PARSER_CLASSES": [
        "pie.apps.api.v1.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A learner's writes (pie.apps.api.v1.throttles), counted in the cache shared by every
    # worker; None: no limit (local and test settings, unless PIE_LEARNER_WRITE_RATE is set).
    "DEFAULT_THROTTLE_RATES": {"learner_write": env.str("PIE_LEARNER_WRITE_RATE", default=None)},
    "EXCEPTION_HANDLER": "pie.apps.api.errors.api_exception_handler",
}

# Browser clients: the micro-frontends (MFEs) call PIE from other origins of the same
# site, with the edX JWT cookie (credentials: "include"). Each environment module sets
# the origins: local and test the MFE development origin, production its configuration.
# django-cors-headers answers these origins, and only them, with CORS headers, credentials
# allowed; @edx/frontend-platform sends USE-JWT-COOKIE besides the library's defaults
# (accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with).
CORS_ORIGIN_WHITELIST: list[str] = []
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_HEADERS = (*default_headers, "use-jwt-cookie")
# A write authenticated by the JWT cookie must carry the CSRF token (X-CSRFToken, from
# GET /csrf/api/v1/token) and come from a trusted origin: the same list as CORS.
CSRF_TRUSTED_ORIGINS = CORS_ORIGIN_WHITELIST
# PIE's own name, so that a CSRF cookie on a shared domain never meets the LMS's or
# another service's "csrftoken". SameSite=Lax (Django's default) is enough: the MFE and
# PIE are on one site, so the browser sends the cookie with the MFE's requests.
CSRF_COOKIE_NAME = "pie_csrftoken"
CSRF_COOKIE_SAMESITE = "Lax"
# Where no CSRF_COOKIE_DOMAIN is set the cookie belongs to PIE's host alone, which is all
# the CSRF check needs; an operator may share it across the site's subdomains.
CSRF_COOKIE_DOMAIN = None
# Production makes it Secure (HTTPS only), as it does the session cookie.
CSRF_COOKIE_SECURE = False
# The admin's forms: a CSRF failure outside DRF is a JSON 403 "csrf_failed".
CSRF_FAILURE_VIEW = "pie.apps.core.errors.csrf_failure"

# Open edX JWT authentication (edx-drf-extensions). Tokens are the LMS's: the header
# "Authorization: JWT <token>", or the edX JWT cookie split in two halves. Each
# environment module adds the issuers and the public JWK set; the pie.E00x system
# checks (pie/apps/core/checks.py) refuse to start without them, because
# edx-drf-extensions accepts any signature when JWT_PUBLIC_SIGNING_JWK_SET is unset.
JWT_AUTH = {
    "JWT_AUTH_HEADER_PREFIX": "JWT",
    # PIE's own decoder (ADR 0011): edx-drf-extensions' checks, each token decoded once a
    # request; every token is refused while no public key set is configured.
    "JWT_DECODE_HANDLER": "pie.apps.core.jwt_decode.jwt_decode_handler",
    "JWT_VERIFY_EXPIRATION": True,
    "JWT_LEEWAY": 1,
    "JWT_SUPPORTED_VERSION": LMS_JWT_VERSION,
    "JWT_AUTH_COOKIE": "edx-jwt-cookie",
    "JWT_AUTH_COOKIE_HEADER_PAYLOAD": "edx-jwt-cookie-header-payload",
    "JWT_AUTH_COOKIE_SIGNATURE": "edx-jwt-cookie-signature",
    # [{"ISSUER": ..., "AUDIENCE": ..., "SECRET_KEY": ...}]: the first is the one whose
    # audience (and, for HS256 tokens, secret) is checked.
    "JWT_ISSUERS": [],
    # A JSON JWK set of the LMS's public signing keys.
    "JWT_PUBLIC_SIGNING_JWK_SET": None,
    # Used only by ``manage.py mint_jwt``: a private JWK (JSON) and its algorithm.
    "JWT_PRIVATE_SIGNING_JWK": None,
    "JWT_SIGNING_ALGORITHM": "RS512",
}

EDX_DRF_EXTENSIONS = {
    # JWT claims copied onto the local user at each authentication.
    "JWT_PAYLOAD_USER_ATTRIBUTE_MAPPING": {
        "administrator": "is_staff",
        "email": "email",
        "user_id": "lms_user_id",
    },
}

# Only local and test settings may trust the development key pair published in this
# repository (pie/apps/core/development_jwk.json) or the devstack HS256 secret.
PIE_JWT_ALLOW_DEVELOPMENT_KEYS = False

SPECTACULAR_SETTINGS = {
    "TITLE": "PIE: Program Intent and Engagement",
    "DESCRIPTION": (
        "Records and reads learners' program intents. Authenticate with an Open edX JWT: "
        "the header `Authorization: JWT <token>` or the edX JWT cookie."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its UI are public, even to a caller with a bad token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from drf-spectacular-sidecar's pinned copy in PIE's static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Each endpoint has its own request and response serializers, named for what they are.
    "COMPONENT_SPLIT_REQUEST": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {
        "IntentReasonEnum": "pie.apps.intents.constants.IntentReason",
        "IntentCertaintyEnum": "pie.apps.intents.constants.IntentCertainty",
        "HealthStatusEnum": ["OK", "UNAVAILABLE"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pie.apps.api.schema.refuse_additional_properties_in_requests",
    ],
}

# Telemetry backends for edx-django-utils monitoring, e.g.
# ["edx_django_utils.monitoring.OpenTelemetryBackend"]; none by default.
OPENEDX_TELEMETRY = env.list("OPENEDX_TELEMETRY", default=[])

# How far in the future an intent's effective_timestamp may be, to allow for clock skew
# between PIE and the systems that report events to it.
PIE_INTENT_MAX_CLOCK_SKEW_SECONDS = env.int("PIE_INTENT_MAX_CLOCK_SKEW_SECONDS", default=300)
# A course fact (an enrollment, a pass) dated beyond that skew is not applied: an event dated
# at most this far ahead is kept in the failed-event store, to be replayed once due; one
# further ahead is refused, as a file row beyond the skew is (docs/engagement.rst).
PIE_FACT_MAX_FUTURE_SECONDS = env.int("PIE_FACT_MAX_FUTURE_SECONDS", default=86_400)

# Learner retirement (docs/api.rst, "Retiring a learner"): the user the LMS's retirement
# pipeline calls PIE as (devstack's name), and the secret salts of the retired learners'
# hashes, the current one first (an earlier one is still checked). Production has no default.
RETIREMENT_SERVICE_WORKER_USERNAME = env.str("RETIREMENT_SERVICE_WORKER_USERNAME", default="retirement_service_worker")
PIE_RETIREMENT_SALTS = env.list("PIE_RETIREMENT_SALTS", default=[])
# Only local and test settings may use the development salt published in this repository.
PIE_ALLOW_DEVELOPMENT_RETIREMENT_SALT = False

# POST /api/v1/program_intents/bulk/ (the warehouse pipeline's door): at most this many
# intents a request, and a body of at most this many bytes once decompressed (None: 512
# bytes an intent, room for a pretty-printed JSON intent). More is a 413 that writes nothing.
PIE_BULK_API_MAX_INTENTS = env.int("PIE_BULK_API_MAX_INTENTS", default=10_000)
PIE_BULK_API_MAX_BYTES = env.int("PIE_BULK_API_MAX_BYTES", default=None)

# The Open edX event bus (openedx-events): Redis Streams by default (edx-event-bus-redis),
# Kafka by configuration (edx-event-bus-kafka, whose client is installed by
# requirements/kafka.txt). Nothing connects at start-up or during a request: the producer is
# made at its first send, the consumer by consume_events. docs/events.rst is the guide.
EVENT_BUS_PRODUCER = env.str("EVENT_BUS_PRODUCER", default="edx_event_bus_redis.create_producer")
EVENT_BUS_CONSUMER = env.str("EVENT_BUS_CONSUMER", default="edx_event_bus_redis.RedisEventConsumer")
# Prepended to every topic, with a hyphen ("stage" reads "stage-learning-program-..."); the
# libraries add the hyphen, so one the prefix ends with is dropped ("x-" is "x", not "x--").
EVENT_BUS_TOPIC_PREFIX = (env.str("EVENT_BUS_TOPIC_PREFIX", default="") or "").rstrip("-") or None
EVENT_BUS_REDIS_CONNECTION_URL = env.str("EVENT_BUS_REDIS_CONNECTION_URL", default=None)
# Seconds a consumer's read blocks: under redis-py's 5-second socket timeout, or every read
# ends in a timeout error.
EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT = env.int("EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT", default=4)
EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS = env.str("EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS", default=None)
EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL = env.str("EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL", default=None)
EVENT_BUS_KAFKA_API_KEY = env.str("EVENT_BUS_KAFKA_API_KEY", default=None)
EVENT_BUS_KAFKA_API_SECRET = env.str("EVENT_BUS_KAFKA_API_SECRET", default=None)
EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_KEY = env.str("EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_KEY", default=None)
EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_SECRET = env.str("EVENT_BUS_KAFKA_SCHEMA_REGISTRY_API_SECRET", default=None)
# The source of the events PIE produces (only make demo-event's): openedx/pie/web.
EVENTS_SERVICE_NAME = "pie"

# What `manage.py consume_certificate_events` consumes: the credentials service's topic, in
# PIE's consumer group, under this process's consumer name (one name per running process;
# a process restarted under its name first reads what it had received but not acknowledged).
# Its former name, PIE_EVENT_BUS_TOPIC, still works (environment or PIE_CFG); the check
# pie.W020 asks for the new one.
PIE_EVENT_BUS_CERTIFICATE_TOPIC = env.str(
    "PIE_EVENT_BUS_CERTIFICATE_TOPIC",
    default=env.str("PIE_EVENT_BUS_TOPIC", default="learning-program-certificate-lifecycle"),
)
# What `manage.py consume_course_events KIND` consumes: the LMS's topics of enrollments
# (created and changed), unenrollments and course passing states (docs/events.rst).
PIE_EVENT_BUS_ENROLLMENT_TOPIC = env.str(
    "PIE_EVENT_BUS_ENROLLMENT_TOPIC", default="learning-course-enrollment-lifecycle"
)
PIE_EVENT_BUS_UNENROLLMENT_TOPIC = env.str("PIE_EVENT_BUS_UNENROLLMENT_TOPIC", default="course-unenrollment-lifecycle")
PIE_EVENT_BUS_PASSING_TOPIC = env.str("PIE_EVENT_BUS_PASSING_TOPIC", default="learning-badges-lifecycle")
PIE_EVENT_BUS_GROUP = env.str("PIE_EVENT_BUS_GROUP", default="pie")
PIE_EVENT_BUS_CONSUMER_NAME = env.str("PIE_EVENT_BUS_CONSUMER_NAME", default=socket.gethostname())
# Redis: at start, a consumer takes over the messages another consumer of the group received
# and left unacknowledged for this long (a process that died and came back under a new name).
# Kafka (ADR 29): where a new consumer group starts reading ("earliest": everything the
# topic retains; "latest": only what is produced once its partitions are assigned), and how
# long a consumer that stopped without leaving keeps its partitions.
PIE_EVENT_BUS_KAFKA_AUTO_OFFSET_RESET = env.str("PIE_EVENT_BUS_KAFKA_AUTO_OFFSET_RESET", default="earliest")
PIE_EVENT_BUS_KAFKA_SESSION_TIMEOUT_MS = env.int("PIE_EVENT_BUS_KAFKA_SESSION_TIMEOUT_MS", default=10_000)
# edx-event-bus-kafka's: errors in a row after which a consumer gives up (none: never).
EVENT_BUS_KAFKA_CONSUMER_CONSECUTIVE_ERRORS_LIMIT = env.int(
    "EVENT_BUS_KAFKA_CONSUMER_CONSECUTIVE_ERRORS_LIMIT", default=None
)
PIE_EVENT_BUS_CLAIM_PENDING_AFTER_SECONDS = env.int("PIE_EVENT_BUS_CLAIM_PENDING_AFTER_SECONDS", default=60)
# How an event waits for the database (capped exponential back-off: the initial delay,
# doubled at each try, up to the maximum). While the database is unreachable it waits
# without limit; a write that fails while the database answers is tried this many times in
# all, then the event is kept in the failed-event store (manage.py replay_failed_events).
PIE_EVENT_WRITE_ATTEMPTS = env.int("PIE_EVENT_WRITE_ATTEMPTS", default=5)
PIE_EVENT_RETRY_INITIAL_DELAY_SECONDS = env.float("PIE_EVENT_RETRY_INITIAL_DELAY_SECONDS", default=0.5)
PIE_EVENT_RETRY_MAX_DELAY_SECONDS = env.float("PIE_EVENT_RETRY_MAX_DELAY_SECONDS", default=30.0)

# /health/ asks the cache at most once a second in each process (its last answer in between).
PIE_HEALTH_CACHE_CHECK_SECONDS = env.float("PIE_HEALTH_CACHE_CHECK_SECONDS", default=1.0)

# The program catalog (manage.py copy_catalog): course-discovery's API, and the LMS's OAuth2
# provider with PIE's backend-service client credentials, the names every IDA uses.
# Each answer of discovery or the LMS comes whole within this deadline (seconds; a failed page
# is asked again).
COURSE_CATALOG_API_URL = env.str("COURSE_CATALOG_API_URL", default=None)
BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL = env.str("BACKEND_SERVICE_EDX_OAUTH2_PROVIDER_URL", default=None)
BACKEND_SERVICE_EDX_OAUTH2_KEY = env.str("BACKEND_SERVICE_EDX_OAUTH2_KEY", default=None)
BACKEND_SERVICE_EDX_OAUTH2_SECRET = env.str("BACKEND_SERVICE_EDX_OAUTH2_SECRET", default=None)
PIE_CATALOG_REQUEST_TIMEOUT_SECONDS = env.float("PIE_CATALOG_REQUEST_TIMEOUT_SECONDS", default=10.0)
# The copy's bounds (docs/catalog.rst): the whole read's deadline, the pages and each page's
# bytes it reads at most, and the longest wait a Retry-After gets.
PIE_CATALOG_COPY_TIMEOUT_SECONDS = env.float("PIE_CATALOG_COPY_TIMEOUT_SECONDS", default=900.0)
PIE_CATALOG_MAX_PAGES = env.int("PIE_CATALOG_MAX_PAGES", default=1000)
PIE_CATALOG_MAX_PAGE_BYTES = env.int("PIE_CATALOG_MAX_PAGE_BYTES", default=32 * 1024 * 1024)
PIE_CATALOG_MAX_RETRY_AFTER_SECONDS = env.float("PIE_CATALOG_MAX_RETRY_AFTER_SECONDS", default=60.0)

# The request log (pie.apps.core.request_log): one JSON line per request on standard output,
# from django-structlog's middleware. No IP address (personal data), no Django user id (the
# LMS user id is logged instead), and no "request_started" line (below the level). Behind a
# proxy that sets X-Request-ID, PIE_TRUST_UPSTREAM_REQUEST_ID=true logs its id.
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
DJANGO_STRUCTLOG_USER_ID_FIELD = None
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env.bool("PIE_TRUST_UPSTREAM_REQUEST_ID", default=False)
PIE_REQUEST_LOG_LEVEL = log_level(env.str("LOG_LEVEL", default="INFO"))

# Everything but the request log: standard error. The request log's line is the only one a
# request writes: Django's own console handler (DEBUG only) is removed from "django", its 4xx
# warnings ("Not Found: ...") are below "django.request"'s level (a 5xx keeps its traceback),
# and runserver's access line ("django.server") goes nowhere.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "standard": {"format": "%(asctime)s %(levelname)s %(process)d [%(name)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "standard"},
        "null": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": PIE_REQUEST_LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.request": {"level": "ERROR", "propagate": True},
        "django.server": {"handlers": ["null"], "propagate": False},
        "django.db.backends": {"level": "WARNING", "propagate": True},
    },
}
