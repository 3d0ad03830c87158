"""WSGI entry point. Production servers set DJANGO_SETTINGS_MODULE=pie.settings.production."""

import os
import sys

import django

from pie.settings.required import APP_LOAD_ERROR, ConfigurationError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pie.settings.production")
try:
    django.setup(set_prefix=False)
except ConfigurationError as error:
    # One line, no traceback; gunicorn stops (rather than restarting workers) on this exit code.
    print(error, file=sys.stderr, flush=True)
    sys.exit(APP_LOAD_ERROR)

# After Django is set up, as get_wsgi_application does.
from pie.apps.core.charsets import Handler
from pie.apps.core.database import bound_database_waits

# Before any connection opens: a request waits for the database seconds, never for good.
bound_database_waits()

application = Handler()
