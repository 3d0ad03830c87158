"""
Django's MySQL/MariaDB backend, reading DATETIME values with a parser written in C.

mysqlclient turns each DATETIME value into a ``datetime`` with a Python function
(``MySQLdb.times.DateTime_or_None``: seven ``int()`` calls), about 2 µs a value: for a
learner with a thousand programs, two thousand values, a fifth of the read's time
(docs/http_performance.rst). ``datetime.fromisoformat`` reads the same text in C; what it
does not read (a date alone, zero dates) still goes to mysqlclient's function. Everything
else is Django's backend, unchanged (``vendor`` is still ``mysql``).
"""

from datetime import datetime

from django.db.backends.mysql import base
from MySQLdb.constants import FIELD_TYPE
from MySQLdb.times import DateTime_or_None


def parse_datetime(text: str) -> datetime | None:
    """A DATETIME's text (``YYYY-MM-DD HH:MM:SS[.ffffff]``) as a naive ``datetime``."""
    if len(text) < 19:  # a date alone, which mysqlclient reads as a date
        return DateTime_or_None(text)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return DateTime_or_None(text)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["conv"] = {**params["conv"], FIELD_TYPE.DATETIME: parse_datetime, FIELD_TYPE.TIMESTAMP: parse_datetime}
        return params
