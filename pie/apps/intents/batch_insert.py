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

from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.models import ProgramIntent

_INSERT_FIELDS = ("lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp", "created")
_KEY_COLUMNS = ("lms_user_id", "program_uuid", "effective_timestamp", "reason", "certainty")

# Learners per read of ``BatchInsert.unrecorded``: keeps the IN list well under SQLite's
# parameter limit.
LOOKUP_CHUNK = 500

# Rows per INSERT statement on MySQL/MariaDB: about 250 KB of SQL, far below the smallest
# default max_allowed_packet (4 MB, MySQL 5.7).
MYSQL_STATEMENT_ROWS = 2000


class BatchInsert:
    """
    Django's own vendor-specific "ignore conflicts" insert (the SQL that
    ``bulk_create(ignore_conflicts=True)`` emits), whose row count tells how many rows were
    new: run through ``executemany`` on SQLite, written as multi-row statements on MySQL.
    """

    def __init__(self, db):
        self.db = db
        ops = db.ops
        fields = [ProgramIntent._meta.get_field(name) for name in _INSERT_FIELDS]
        table = ops.quote_name(ProgramIntent._meta.db_table)
        self._insert_into = "{insert} {table} ({columns}) VALUES ".format(
            insert=ops.insert_statement(on_conflict=OnConflict.IGNORE),
            table=table,
            columns=", ".join(ops.quote_name(f.column) for f in fields),
        )
        self._on_conflict = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
        self.sql = f"{self._insert_into}({', '.join(['%s'] * len(fields))}) {self._on_conflict}".rstrip()
        _, self._uuid_field, _, _, self._timestamp_field, _ = fields
        # Checked values are UUIDs and aware UTC datetimes, so the backend's adaptation is
        # all that is left of get_db_prep_save.
        self._adapt_timestamp = _utc_text if _adapts_as_utc_text(db) else ops.adapt_datetimefield_value
        # A load names few programs over many rows: each is adapted once.
        self._programs: dict[uuid.UUID, object] = {}
        # Adapting a UUID may first ask the server its version (is the column native?):
        # done here, in the connection's thread, since row_maker's rows may be made in another.
        self._adapt_program(uuid.UUID(int=0))
        self._lookup_sql, self._key_text = _lookup(db, table=table)
        self._values_sql = self._mysql_values() if db.vendor == "mysql" else None

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
            if self._values_sql is None:
                cursor.executemany(self.sql, rows)
                return cursor.rowcount
            created = 0
            for start in range(0, len(rows), MYSQL_STATEMENT_ROWS):
                values = ", ".join(map(self._values_sql, rows[start : start + MYSQL_STATEMENT_ROWS]))
                cursor.execute(f"{self._insert_into}{values} {self._on_conflict}".rstrip())
                created += cursor.rowcount
            return created

    def _mysql_values(self) -> Callable[[tuple], str]:
        """
        A function giving a row's ``(...)`` in the VALUES list, for MySQL/MariaDB.

        mysqlclient's ``executemany`` quotes each value in Python: about 11 µs a row in a
        profile of a 1,000,000-row load, the largest single cost after the checks. The
        values of a checked row need no escaping: an int, a UUID's text, timestamps' texts
        (digits and separators), and a reason and certainty from a fixed set, quoted once
        here by the driver. A text holding a quote or a backslash is refused all the same.
        """
        self.db.ensure_connection()
        quoted = {
            value: self.db.connection.literal(value).decode("ascii")
            for value in (*IntentReason.values, *IntentCertainty.values)
        }

        def values(row: tuple) -> str:
            user, program, reason, certainty, timestamp, created = row
            for text in (program, timestamp, created):
                if "'" in text or "\\" in text:
                    raise ValueError(f"not a checked value: {text!r}")
            return f"({user:d}, '{program}', {quoted[reason]}, {quoted[certainty]}, '{timestamp}', '{created}')"

        return values

    def unrecorded(self, rows: Mapping[tuple, tuple]) -> list[tuple]:
        """
        The rows (de-duplication key -> row made by ``row_maker``) whose intent the table
        does not hold yet.

        One read per ``LOOKUP_CHUNK`` learners, served by the unique index (it starts with
        ``lms_user_id``): its cost grows with those learners' intents, not with the table.
        Each intent read is one text, its key's values joined, compared with the same text
        made of each row: a re-run reads millions of intents, and one value per intent is
        the least the driver converts and Python compares.
        """
        key_text = self._key_text
        probes = [
            key_text(user, row[1], row[4], reason, certainty) for (user, *_, reason, certainty), row in rows.items()
        ]
        wanted = set(probes)
        learners = sorted({key[0] for key in rows})
        recorded = set()
        with self.db.cursor() as cursor:
            for start in range(0, len(learners), LOOKUP_CHUNK):
                # Checked learner ids are ints, written as such ({:d} refuses anything else).
                chunk = ", ".join(map("{:d}".format, learners[start : start + LOOKUP_CHUNK]))
                cursor.execute(f"{self._lookup_sql}({chunk})")
                # Of the learners' intents, only those this batch sends are kept.
                recorded.update(wanted.intersection(text for (text,) in cursor.fetchall()))
        return [row for probe, row in zip(probes, rows.values(), strict=True) if probe not in recorded]


def _lookup(db, *, table: str) -> tuple[str, Callable[..., str]]:
    """
    The read of ``BatchInsert.unrecorded`` (without its IN list), and a function giving,
    from a row as the insert sends it, the text that read returns for its intent.

    The read returns each intent's key as one text, its values joined by "|" (none of them
    can hold one): the learner id, the program as the database holds it (the text sent),
    the timestamp as the database's text and the two names. SQLite holds the text sent;
    MySQL's text of a DATETIME(6) always has six fractional digits, where the text sent has
    them only when they are not all zero.
    """
    if db.vendor not in ("mysql", "sqlite"):
        raise NotSupportedError(f"PIE's batch load runs on SQLite and MySQL/MariaDB, not {db.vendor}")
    columns = [db.ops.quote_name(name) for name in _KEY_COLUMNS]
    on_mysql = db.vendor == "mysql"
    joined = f"CONCAT_WS('|', {', '.join(columns)})" if on_mysql else " || '|' || ".join(columns)

    def key_text(user: int, program: str, timestamp: str, reason: str, certainty: str) -> str:
        if on_mysql and len(timestamp) == 19:
            timestamp += ".000000"
        return f"{user}|{program}|{timestamp}|{reason}|{certainty}"

    return f"SELECT {joined} FROM {table} WHERE {db.ops.quote_name('lms_user_id')} IN ", key_text


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
