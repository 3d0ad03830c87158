"""
Settings for a developer's machine: the default of ``manage.py``.

DEBUG on, a SQLite file in the repository root (``pie.sqlite3``, git-ignored) unless
``DATABASE_URL`` says otherwise.
"""

from pie.apps.core.development_jwt import (
    DEVELOPMENT_JWT_PRIVATE_SIGNING_JWK,
    DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET,
    DEVSTACK_JWT_ISSUER,
)
from pie.settings.base import *  # noqa: F403
from pie.settings.base import JWT_AUTH, env

DEBUG = True
SECRET_KEY = env.str("SECRET_KEY", default="local-development-only-not-a-secret")
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

# A developer has no LMS: accept the edX devstack's tokens (HS256, secret "lms-secret")
# and tokens signed with PIE's published development key, which ``manage.py mint_jwt``
# uses. Never in production: see pie/apps/core/development_jwt.py.
JWT_AUTH = {
    **JWT_AUTH,
    "JWT_ISSUERS": [DEVSTACK_JWT_ISSUER],
    "JWT_PUBLIC_SIGNING_JWK_SET": DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET,
    "JWT_PRIVATE_SIGNING_JWK": DEVELOPMENT_JWT_PRIVATE_SIGNING_JWK,
}
PIE_JWT_ALLOW_DEVELOPMENT_KEYS = True

# The local Redis, for `make consume-events` and `make demo-event` (no topic prefix, as on a
# devstack, unless EVENT_BUS_TOPIC_PREFIX says otherwise).
EVENT_BUS_REDIS_CONNECTION_URL = env.str("EVENT_BUS_REDIS_CONNECTION_URL", default="redis://127.0.0.1:6379/0")
PIE_EVENT_BUS_CONSUMER_NAME = env.str("PIE_EVENT_BUS_CONSUMER_NAME", default="pie-local")
# The development origin of the program dashboard micro-frontend: its cross-origin calls
# with the edX JWT cookie are allowed (CORS) and its cookie-authenticated writes trusted (CSRF).
CORS_ORIGIN_WHITELIST = ["http://localhost:1996"]
CSRF_TRUSTED_ORIGINS = CORS_ORIGIN_WHITELIST
