"""
How long a process of the service waits for MySQL/MariaDB (ADR 18).

Every connection has a connect timeout (``DATABASE_CONNECT_TIMEOUT_SECONDS``, set by
``database_from_url``). The processes that serve (the web workers, through ``pie/wsgi.py``,
and the event consumers) also bound each read and write of a statement
(``DATABASE_READ_TIMEOUT_SECONDS``, ``DATABASE_WRITE_TIMEOUT_SECONDS``), so a database that
stops answering fails their requests and events in seconds instead of holding every thread
for good. Migrations, backfills, ``bulk_insert_intents`` and the other commands get no such
bound: their long statements are meant to run as long as they take.
"""

from django.conf import settings
from django.db import connections


def bound_database_waits() -> None:
    """
    Give this process's MySQL/MariaDB connections their read and write timeouts (the
    settings' seconds; 0 or None: none), unless their ``OPTIONS`` already name one.

    Call it before the process opens a connection: a connection takes its options when
    it opens. Other databases (SQLite) are left as they are.
    """
    bounds = {
        "read_timeout": getattr(settings, "DATABASE_READ_TIMEOUT_SECONDS", None),
        "write_timeout": getattr(settings, "DATABASE_WRITE_TIMEOUT_SECONDS", None),
    }
    for alias in connections:
        connection = connections[alias]
        if connection.vendor != "mysql":
            continue
        options = connection.settings_dict.setdefault("OPTIONS", {})
        for option, seconds in bounds.items():
            if seconds:
                options.setdefault(option, seconds)
