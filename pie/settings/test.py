"""
Settings for the test suite.

SQLite by default (Django's test runner keeps it in memory); ``DATABASE_URL`` points the
same suite at MySQL/MariaDB (``make test-mysql``).
"""

from pie.settings.base import *  # noqa: F403
from pie.settings.base import database_from_url, env

SECRET_KEY = "test-only-not-a-secret"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

DATABASES = {"default": database_from_url(env.str("DATABASE_URL", default="sqlite://:memory:"))}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
