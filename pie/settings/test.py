"""
Settings for the test suite.

SQLite by default (Django's test runner keeps it in memory); ``DATABASE_URL`` points the
same suite at MySQL/MariaDB (``make test-mysql``).
"""

from pie.apps.core.development_jwt import (
    DEVELOPMENT_JWT_PRIVATE_SIGNING_JWK,
    DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET,
    DEVSTACK_JWT_ISSUER,
)
from pie.settings.base import *  # noqa: F403
from pie.settings.base import JWT_AUTH, database_from_url, env

SECRET_KEY = "test-only-not-a-secret"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

DATABASES = {"default": database_from_url(env.str("DATABASE_URL", default="sqlite://:memory:"))}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The same development keys as local settings: tests mint real tokens, RS512 with the
# development key and HS256 with the devstack secret.
JWT_AUTH = {
    **JWT_AUTH,
    "JWT_ISSUERS": [DEVSTACK_JWT_ISSUER],
    "JWT_PUBLIC_SIGNING_JWK_SET": DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET,
    "JWT_PRIVATE_SIGNING_JWK": DEVELOPMENT_JWT_PRIVATE_SIGNING_JWK,
}
PIE_JWT_ALLOW_DEVELOPMENT_KEYS = True

# The local Redis; each event-bus test uses a topic prefix of its own.
EVENT_BUS_REDIS_CONNECTION_URL = env.str("EVENT_BUS_REDIS_CONNECTION_URL", default="redis://127.0.0.1:6379/0")
EVENT_BUS_TOPIC_PREFIX = "pie-test"
# Short waits, so the retry tests take a moment.
PIE_EVENT_WRITE_ATTEMPTS = 3
PIE_EVENT_RETRY_INITIAL_DELAY_SECONDS = 0.01
PIE_EVENT_RETRY_MAX_DELAY_SECONDS = 0.05
# The development origin of the program dashboard micro-frontend: its cross-origin calls
# with the edX JWT cookie are allowed (CORS) and its cookie-authenticated writes trusted (CSRF).
CORS_ORIGIN_WHITELIST = ["http://localhost:1996"]
CSRF_TRUSTED_ORIGINS = CORS_ORIGIN_WHITELIST
