"""
gunicorn's configuration for the ceiling of ``make bench-api`` (``benchmarks/bare_wsgi.py``):
PIE's own server settings, read from ``pie/docker_gunicorn_configuration.py``, for an app
that is not Django, so that the ceiling and PIE differ only in the app they serve.

    gunicorn -c benchmarks/bare_gunicorn.py benchmarks.bare_wsgi:application
"""

import os
import runpy
import types
from pathlib import Path

# PIE's configuration reads the Django settings it is named before binding; the bare app has none.
os.environ.pop("DJANGO_SETTINGS_MODULE", None)
_PIE = runpy.run_path(str(Path(__file__).resolve().parents[1] / "pie" / "docker_gunicorn_configuration.py"))
globals().update(
    {
        name: value
        for name, value in _PIE.items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType | types.FunctionType)
    }
)
