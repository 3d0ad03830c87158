"""
SQL that more than one layer writes.

``insert_ignoring_into`` and ``insert_ignoring``: the backend's insert that skips the rows a
unique constraint refuses (``INSERT OR IGNORE`` on SQLite, ``INSERT IGNORE`` on
MySQL/MariaDB: the SQL ``bulk_create(ignore_conflicts=True)`` sends), without a model
instance per row; its row count is how many rows were new. Every bulk writer of PIE takes it
from here.

``in_integers``: a column among thousands of integers (a batch's learners, their retirement
hashes) in a statement whose text is the same for every list. Written as literals, each
such statement is a new text, and SQLite's driver keeps the last 128 statements it prepared
(``sqlite3``'s statement cache): one naming 10,000 integers holds about a third of a
megabyte there, so a bulk load's memory grew with its batches until the cache was full. On
SQLite the list is one JSON parameter that ``json_each`` reads; mysqlclient prepares nothing,
so MySQL/MariaDB take the literals (no parameter limit, no quoting in Python).
"""

from collections.abc import Iterable, Sequence

from django.db import NotSupportedError
from django.db.models.constants import OnConflict


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


def insert_ignoring_into(db, model, fields: Sequence[str]) -> str:
    """
    The head of ``db``'s insert into ``model``'s table that skips the rows a unique
    constraint refuses, up to its values: ``INSERT OR IGNORE INTO "t" ("a", "b") VALUES ``
    (SQLite), ``INSERT IGNORE INTO `t` (`a`, `b`) VALUES `` (MySQL/MariaDB). A backend
    whose form needs more after the values (PostgreSQL's ``ON CONFLICT DO NOTHING``) is
    refused with ``NotSupportedError``: PIE runs on those two.
    """
    ops = db.ops
    if ops.on_conflict_suffix_sql(list(fields), OnConflict.IGNORE, None, None):
        raise NotSupportedError(f"PIE's insert-ignore runs on SQLite and MySQL/MariaDB, not {db.vendor}")
    columns = ", ".join(ops.quote_name(model._meta.get_field(name).column) for name in fields)
    insert = ops.insert_statement(on_conflict=OnConflict.IGNORE)
    return f"{insert} {ops.quote_name(model._meta.db_table)} ({columns}) VALUES "


def insert_ignoring(db, model, fields: Sequence[str], rows: list[tuple]) -> int:
    """
    Insert ``rows`` (values of ``fields``, as the driver takes them) into ``model``'s table
    through the driver's ``executemany``, skipping those a unique constraint refuses (one
    statement, ``insert_ignoring_into``); return how many were new.
    """
    sql = insert_ignoring_into(db, model, fields) + "({})".format(", ".join(["%s"] * len(fields)))
    with db.cursor() as cursor:
        cursor.executemany(sql, rows)
        return cursor.rowcount
