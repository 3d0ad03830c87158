"""
gunicorn's configuration for PIE, read by the container and by ``make bench-api``::

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
=========================  ===========  ==================================================
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:18781")
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# The load balancer in front terminates TLS and says so in X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")
# Recycle workers now and then, so that no slow leak can grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1_000)
# Errors to standard error; access lines to standard output.
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
