"""
The ceiling of ``make bench-api``: a bare WSGI app that answers JSON after one ``SELECT 1``
on a persistent connection (one per thread), served by the same gunicorn settings as PIE.
Whatever PIE adds over this is PIE's own cost.
"""

import os
import threading
from urllib.parse import urlparse

import MySQLdb

_URL = urlparse(os.environ["DATABASE_URL"])
_local = threading.local()
_BODY = b'{"status": "OK"}'


def _cursor():
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = MySQLdb.connect(
            host=_URL.hostname or "127.0.0.1",
            port=_URL.port or 3306,
            user=_URL.username or "root",
            password=_URL.password or "",
            database=_URL.path.lstrip("/"),
        )
    return connection.cursor()


def application(environ, start_response):
    with _cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))])
    return [_BODY]
