"""WSGI entry point. Production servers set DJANGO_SETTINGS_MODULE=pie.settings.production."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pie.settings.production")
django.setup(set_prefix=False)

from pie.handlers import Handler  # noqa: E402  (after Django is set up, as get_wsgi_application does)

application = Handler()
