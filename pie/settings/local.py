"""
Settings for a developer's machine: the default of ``manage.py``.

DEBUG on, a SQLite file in the repository root (``pie.sqlite3``, git-ignored) unless
``DATABASE_URL`` says otherwise.
"""

from pie.settings.base import *  # noqa: F403
from pie.settings.base import env

DEBUG = True
SECRET_KEY = env.str("SECRET_KEY", default="local-development-only-not-a-secret")
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
