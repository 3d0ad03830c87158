"""
gunicorn's configuration for PIE, read by the container::

    gunicorn -c pie/docker_gunicorn_configuration.py pie.wsgi:application

Threaded workers (gthread): a request mostly waits for the database, so each process
serves several at once. Sized from the environment:

=========================  ===========  ==================================================
variable                   default      meaning
=========================  ===========  ==================================================
``GUNICORN_BIND``          0.0.0.0:18781  address to listen on
``GUNICORN_WORKERS``       2            processes (about one per core)
``GUNICORN_THREADS``       4            threads per process
``GUNICORN_TIMEOUT``       30           seconds before a silent worker is restarted
``GUNICORN_KEEPALIVE``     5            seconds an idle keep-alive connection is kept
``GUNICORN_MAX_REQUESTS``  0            requests before a worker is recycled (0: never)
``GUNICORN_ACCESSLOG``     (none)       gunicorn's access log, e.g. ``-`` (standard output)
=========================  ===========  ==================================================
"""

import importlib
import os
import sys


def _refuse_an_incomplete_configuration() -> None:
    """
    Read the settings named by ``DJANGO_SETTINGS_MODULE`` (as the image sets it) before
    binding: a missing required setting (``pie.settings.required``) stops gunicorn at once
    with the one line that names it. Without the variable, ``pie/wsgi.py`` refuses in the
    worker, and gunicorn stops too.
    """
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE")
    if not settings_module:
        return
    from pie.settings.required import ConfigurationError

    try:
        importlib.import_module(settings_module)
    except ConfigurationError as error:
        sys.exit(str(error))


_refuse_an_incomplete_configuration()


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:18781")
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# The longest request line gunicorn takes (its default, 4094, is shorter than a GET naming
# the 100 programs the API allows).
limit_request_line = 8190
# The load balancer in front terminates TLS and says so in X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")
# Workers are not recycled unless asked (a restart re-imports Django, about a second of
# a core): GUNICORN_MAX_REQUESTS=100000 recycles each after about that many requests.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
# Errors to standard error. PIE logs each request itself, with the caller; gunicorn's own
# access log is off unless GUNICORN_ACCESSLOG names a file ("-": standard output).
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
