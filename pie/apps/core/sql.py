"""
SQL that more than one layer writes.

``in_integers``: a column among thousands of integers (a batch's learners, their retirement
hashes) in a statement whose text is the same for every list. Written as literals, each
such statement is a new text, and SQLite's driver keeps the last 128 statements it prepared
(``sqlite3``'s statement cache): one naming 10,000 integers holds about a third of a
megabyte there, so a bulk load's memory grew with its batches until the cache was full. On
SQLite the list is one JSON parameter that ``json_each`` reads; mysqlclient prepares nothing,
so MySQL/MariaDB take the literals (no parameter limit, no quoting in Python).
"""

from collections.abc import Iterable


def in_integers(db, column: str, values: Iterable[int]) -> tuple[str, list[str] | None]:
    """
    ``column IN (values)`` for the connection ``db``, as SQL and its parameters (None when it has none).

    ``column`` is SQL (quoted by the caller); ``values`` must be ints: ``{:d}`` refuses
    anything else (``ValueError``), so nothing but digits is ever written.
    """
    digits = ", ".join(map("{:d}".format, values))
    if db.vendor == "sqlite":
        return f"{column} IN (SELECT value FROM json_each(%s))", [f"[{digits}]"]
    return f"{column} IN ({digits})", None
