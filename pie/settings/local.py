"""
Settings for a developer's machine: the default of ``manage.py``.

DEBUG on, a SQLite file in the repository root (``pie.sqlite3``, git-ignored) unless
``DATABASE_URL`` says otherwise; the development keys of ``local_and_test``.
"""

from pie.settings.local_and_test import *  # noqa: F403
from pie.settings.local_and_test import env

DEBUG = True
SECRET_KEY = env.str("SECRET_KEY", default="local-development-only-not-a-secret")
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

# `make consume-events` and `make demo-event` use the local Redis with no topic prefix, as
# on a devstack, unless EVENT_BUS_TOPIC_PREFIX says otherwise.
PIE_EVENT_BUS_CONSUMER_NAME = env.str("PIE_EVENT_BUS_CONSUMER_NAME", default="pie-local")
