"""
Settings for the test suite.

SQLite by default (Django's test runner keeps it in memory); ``DATABASE_URL`` points the
same suite at MySQL/MariaDB (``make test-mysql``). The development keys of
``local_and_test``: tests mint real tokens, RS512 with the development key and HS256 with
the devstack secret.
"""

from pie.settings.local_and_test import *  # noqa: F403
from pie.settings.local_and_test import database_from_url, env, with_read_replica

SECRET_KEY = "test-only-not-a-secret"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

DATABASES = with_read_replica(
    {"default": database_from_url(env.str("DATABASE_URL", default="sqlite://:memory:"))},
    env.str("READ_REPLICA_DATABASE_URL", default=None),
)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each event-bus test uses a topic prefix of its own.
EVENT_BUS_TOPIC_PREFIX = "pie-test"
# Short waits, so the retry tests take a moment.
PIE_EVENT_WRITE_ATTEMPTS = 3
PIE_EVENT_RETRY_INITIAL_DELAY_SECONDS = 0.01
PIE_EVENT_RETRY_MAX_DELAY_SECONDS = 0.05

# edx-django-release-util's check_reserved_keywords (make check_keywords): a test requirement,
# like the other checks, so the production image does not carry it.
INSTALLED_APPS = [*INSTALLED_APPS, "release_util"]  # noqa: F405
