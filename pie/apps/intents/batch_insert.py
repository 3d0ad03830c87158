"""
The SQL of a batch load: one insert that skips what the unique constraint refuses, and one
indexed read that tells which rows of a batch are already recorded.

``services.iter_record_intents`` is the only caller: it checks the rows first, so the
values reaching this module are valid, de-duplicated keys
``(lms_user_id, program_uuid, effective_timestamp, reason, certainty)``.
"""

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from django.db import NotSupportedError
from django.db.models.constants import OnConflict

from pie.apps.intents.models import ProgramIntent

_INSERT_FIELDS = ("lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp", "created")

# Learners per read of ``BatchInsert.unrecorded``: keeps the IN list well under SQLite's
# parameter limit.
LOOKUP_CHUNK = 500


class BatchInsert:
    """
    Django's own vendor-specific "ignore conflicts" insert (the SQL that
    ``bulk_create(ignore_conflicts=True)`` emits), run through ``executemany``, whose row
    count tells how many rows were new.
    """

    def __init__(self, db):
        self.db = db
        ops = db.ops
        fields = [ProgramIntent._meta.get_field(name) for name in _INSERT_FIELDS]
        table = ops.quote_name(ProgramIntent._meta.db_table)
        self.sql = "{insert} {table} ({columns}) VALUES ({placeholders}) {suffix}".format(
            insert=ops.insert_statement(on_conflict=OnConflict.IGNORE),
            table=table,
            columns=", ".join(ops.quote_name(f.column) for f in fields),
            placeholders=", ".join(["%s"] * len(fields)),
            suffix=ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None),
        ).rstrip()
        _, self._uuid_field, _, _, self._timestamp_field, _ = fields
        # Checked values are UUIDs and aware UTC datetimes, so the backend's adaptation is
        # all that is left of get_db_prep_save.
        self._adapt_timestamp = _utc_text if _adapts_as_utc_text(db) else ops.adapt_datetimefield_value
        # A load names few programs over many rows: each is adapted once.
        self._programs: dict[uuid.UUID, object] = {}
        # Adapting a UUID may first ask the server its version (is the column native?):
        # done here, in the connection's thread, since row_maker's rows may be made in another.
        self._adapt_program(uuid.UUID(int=0))
        self._lookup_sql, self._timestamp_as_read = _lookup(db, table=table)

    @property
    def refusals_cost_more(self) -> bool:
        """
        Whether the database refuses a known row at a higher cost than it reads it.

        True of MySQL/MariaDB: InnoDB writes the row, then undoes it when the unique index
        refuses it. SQLite looks the key up before writing. Measured in docs/bulk_load.rst.
        """
        return self.db.vendor == "mysql"

    def _adapt_program(self, program: uuid.UUID):
        value = self._uuid_field.get_db_prep_save(program, self.db)
        if self.db.vendor == "mysql" and isinstance(value, uuid.UUID):
            # A native UUID column (MariaDB 10.7+): mysqlclient quotes str(value), through
            # a slower path than for a str. Handing it the same text gives the same SQL.
            return str(value)
        return value

    def row_maker(self, *, created: datetime) -> Callable[[tuple], tuple]:
        """A function turning a de-duplication key into the row the insert sends."""
        created_db = self._timestamp_field.get_db_prep_save(created, self.db)
        programs, adapt_program, adapt_timestamp = self._programs, self._adapt_program, self._adapt_timestamp
        if len(programs) > 100_000:
            programs.clear()

        def to_db(key: tuple) -> tuple:
            user, program, timestamp, reason, certainty = key
            program_db = programs.get(program)
            if program_db is None:
                program_db = programs[program] = adapt_program(program)
            return (user, program_db, reason, certainty, adapt_timestamp(timestamp), created_db)

        return to_db

    def execute(self, rows: list[tuple]) -> int:
        """Insert ``rows`` (made by ``row_maker``); return how many were new."""
        with self.db.cursor() as cursor:
            cursor.executemany(self.sql, rows)
            return cursor.rowcount

    def unrecorded(self, rows: Mapping[tuple, tuple]) -> list[tuple]:
        """
        The rows (de-duplication key -> row made by ``row_maker``) whose intent the table
        does not hold yet.

        One read per ``LOOKUP_CHUNK`` learners, served by the unique index (it starts with
        ``lms_user_id``): its cost grows with those learners' intents, not with the table.
        Values are compared in the form the driver returns them, so that nothing read is
        converted (a re-run reads millions of rows).
        """
        as_read = self._timestamp_as_read
        probes = [
            (user, row[1], as_read(row[4]), reason, certainty) for (user, _, _, reason, certainty), row in rows.items()
        ]
        wanted = set(probes)
        learners = sorted({probe[0] for probe in probes})
        recorded = set()
        with self.db.cursor() as cursor:
            for start in range(0, len(learners), LOOKUP_CHUNK):
                chunk = learners[start : start + LOOKUP_CHUNK]
                cursor.execute(self._lookup_sql + "(" + ", ".join(["%s"] * len(chunk)) + ")", chunk)
                # Of the learners' intents, only those this batch sends are kept.
                recorded.update(wanted.intersection(cursor.fetchall()))
        return [row for probe, row in zip(probes, rows.values(), strict=True) if probe not in recorded]


def _lookup(db, *, table: str) -> tuple[str, Callable[[str], str]]:
    """
    The read of ``BatchInsert.unrecorded`` (without its IN list), and a function giving a
    row's timestamp, as the insert sends it, in the form that read returns it.

    The read returns timestamps as the text the database holds: a driver turns a DATETIME
    into a datetime in Python, at a cost that would dominate a re-run of millions of rows.
    SQLite holds the text sent; MySQL's text of a DATETIME(6) always has six fractional
    digits, where the text sent has them only when they are not all zero.
    """
    if db.vendor not in ("mysql", "sqlite"):
        raise NotSupportedError(f"PIE's batch load runs on SQLite and MySQL/MariaDB, not {db.vendor}")
    ops = db.ops
    if db.vendor == "mysql":
        timestamp = "CAST({} AS CHAR)"

        def as_read(sent: str) -> str:
            return sent if len(sent) > 19 else sent + ".000000"

    else:
        timestamp = "CAST({} AS TEXT)"

        def as_read(sent: str) -> str:
            return sent

    columns = ", ".join(
        timestamp.format(ops.quote_name(name)) if name == "effective_timestamp" else ops.quote_name(name)
        for name in ("lms_user_id", "program_uuid", "effective_timestamp", "reason", "certainty")
    )
    return f"SELECT {columns} FROM {table} WHERE {ops.quote_name('lms_user_id')} IN ", as_read


def _utc_text(value: datetime) -> str:
    # str() of an aware UTC datetime ends in "+00:00": without it, it is the naive UTC text.
    return str(value)[:-6]


def _adapts_as_utc_text(db) -> bool:
    """
    Whether the backend stores a checked timestamp (aware, UTC) as its naive UTC text.

    True of SQLite and MySQL/MariaDB with USE_TZ and no per-database TIME_ZONE: their
    ``adapt_datetimefield_value`` is then ``str(make_naive(value, UTC))``, which costs a
    few times ``_utc_text`` and matters at millions of rows. Probes confirm it, with and
    without microseconds; any other backend keeps its own adaptation.
    """
    if db.timezone is not UTC:
        return False
    probes = (datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC), datetime(2001, 7, 3, 4, 5, 6, 789, tzinfo=UTC))
    return all(db.ops.adapt_datetimefield_value(probe) == _utc_text(probe) for probe in probes)
