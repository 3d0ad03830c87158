#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pie.settings.local")
    from django.core.management import execute_from_command_line

    from pie.settings.required import ConfigurationError

    try:
        execute_from_command_line(sys.argv)
    except ConfigurationError as error:
        # A missing or unreadable production configuration: one line, no traceback.
        sys.exit(str(error))
