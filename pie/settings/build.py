"""
Settings for building the image (``collectstatic`` in the Dockerfile): production's, with
placeholders for what a build never uses.

The static files depend only on the installed apps, which are production's, so this module
imports ``production`` after giving each required setting (``pie.settings.required``) a
value that is never used: no secret, database, cache or LMS is reached while collecting.
Anything else is refused by the system checks (``pie.E001``: the placeholder key set is no
JWK set), which ``check`` and ``migrate`` run.
"""

import os

from pie.settings.required import REQUIRED

_PLACEHOLDERS = {
    "DATABASE_URL": "sqlite:////tmp/pie-build-unused.sqlite3",
    "JWT_ISSUERS": '[{"ISSUER": "https://build.invalid/oauth2", "AUDIENCE": "build"}]',
    "CACHE_REDIS_URL": "redis://build.invalid:6379/0",
}
for _name in REQUIRED:
    os.environ.setdefault(_name, _PLACEHOLDERS.get(_name, "build-only-unused"))

from pie.settings.production import *  # noqa: E402, F403
