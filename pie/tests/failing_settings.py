"""The test settings with the URLs of views that fail (``pie.apps.api.tests.failing_urls``), for a server under test."""

from pie.settings.test import *  # noqa: F403

ROOT_URLCONF = "pie.apps.api.tests.failing_urls"
