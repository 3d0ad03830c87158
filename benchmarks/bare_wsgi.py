"""
The ceiling of ``make bench-api``: a bare WSGI app that answers JSON after one ``SELECT 1``
on a persistent connection (one per thread), served with PIE's gunicorn settings
(``bare_gunicorn.py``). Whatever PIE adds over this is PIE's own cost.
"""

import os
import threading

from benchmarks.common import database_name, mysql_connect

_URL = os.environ["DATABASE_URL"]
_local = threading.local()
_BODY = b'{"status": "OK"}'


def _cursor():
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = mysql_connect(_URL, database=database_name(_URL))
    return connection.cursor()


def application(environ, start_response):
    with _cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))])
    return [_BODY]
