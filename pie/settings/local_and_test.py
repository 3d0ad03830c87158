"""
What a developer's machine and the test suite share (``local`` and ``test`` import it):
development keys, the devstack issuer, the local Redis and the micro-frontend's
development origin. Never imported by ``production``.
"""

from pie.apps.core.development_jwt import (
    DEVELOPMENT_JWT_PRIVATE_SIGNING_JWK,
    DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET,
    DEVELOPMENT_RETIREMENT_SALT,
    DEVSTACK_JWT_ISSUER,
)
from pie.settings.base import *  # noqa: F403
from pie.settings.base import JWT_AUTH, env

# No LMS here: accept the edX devstack's tokens (HS256, secret "lms-secret") and tokens
# signed with PIE's published development key, which ``manage.py mint_jwt`` and the tests
# use. Never in production: see pie/apps/core/development_jwt.py.
JWT_AUTH = {
    **JWT_AUTH,
    "JWT_ISSUERS": [DEVSTACK_JWT_ISSUER],
    "JWT_PUBLIC_SIGNING_JWK_SET": DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET,
    "JWT_PRIVATE_SIGNING_JWK": DEVELOPMENT_JWT_PRIVATE_SIGNING_JWK,
}
PIE_JWT_ALLOW_DEVELOPMENT_KEYS = True

# The local Redis (the event bus).
EVENT_BUS_REDIS_CONNECTION_URL = env.str("EVENT_BUS_REDIS_CONNECTION_URL", default="redis://127.0.0.1:6379/0")

# The development origin of the program dashboard micro-frontend: its cross-origin calls
# with the edX JWT cookie are allowed (CORS) and its cookie-authenticated writes trusted (CSRF).
CORS_ORIGIN_WHITELIST = ["http://localhost:1996"]
CSRF_TRUSTED_ORIGINS = CORS_ORIGIN_WHITELIST

# A salt for the retired learners' hashes that is not a secret: development and tests only.
PIE_RETIREMENT_SALTS = [DEVELOPMENT_RETIREMENT_SALT]
PIE_ALLOW_DEVELOPMENT_RETIREMENT_SALT = True
