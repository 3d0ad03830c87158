"""
The SQL of a batch load, one writer class per backend.

A writer inserts checked, de-duplicated rows with the backend's "ignore conflicts" insert
(the SQL that ``bulk_create(ignore_conflicts=True)`` emits), whose row count tells how
many were new, and reads which rows of a batch the table already holds. ``batches`` is
its only caller: the rows reaching a writer were made by its ``row_maker`` from
``IntentKey``s that ``validation`` checked.
"""

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import ClassVar, NamedTuple

from django.db import NotSupportedError

from pie.apps.intents.constants import IntentCertainty, IntentKey, IntentReason
from pie.apps.intents.models import ProgramIntent

# Learners per read of ``unrecorded``: keeps the IN list well under SQLite's parameter limit.
LOOKUP_CHUNK = 500


class InsertRow(NamedTuple):
    """One row as a batch insert sends it: the key's fields in the database's form, then ``created``."""

    lms_user_id: int
    program_uuid: object  # what the backend stores for a UUID, as text
    effective_timestamp: str
    reason: str
    certainty: str
    created: str


_KEY_WIDTH = len(IntentKey._fields)


class BatchWriter:
    """What the writers share: turning keys into rows, and reading which rows are recorded."""

    vendor: ClassVar[str]
    # Whether, once most of a batch was already recorded (a re-run, a refreshed report),
    # the next batch should first read which of its rows are, and insert only the others:
    # true where refusing a known row costs the database more than reading it.
    read_known_rows_first: ClassVar[bool] = False

    def __init__(self, db):
        self.db = db
        ops = db.ops
        self._table = ops.quote_name(ProgramIntent._meta.db_table)
        self._columns = ", ".join(
            ops.quote_name(ProgramIntent._meta.get_field(name).column) for name in InsertRow._fields
        )
        self._uuid_field = ProgramIntent._meta.get_field("program_uuid")
        # Checked values are UUIDs and aware UTC datetimes, so the backend's adaptation is
        # all that is left of get_db_prep_save.
        self._adapt_timestamp = _utc_text if _adapts_as_utc_text(db) else ops.adapt_datetimefield_value
        # A load names few programs over many rows: each is adapted once.
        self._programs: dict[uuid.UUID, object] = {}
        # Adapting a UUID may first ask the server its version (is the column native?):
        # done here, in the connection's thread, since row_maker's rows may be made in another.
        self._adapt_program(uuid.UUID(int=0))

    def _adapt_program(self, program: uuid.UUID):
        return self._uuid_field.get_db_prep_save(program, self.db)

    def _timestamp_text(self, value: datetime) -> str:
        return self._adapt_timestamp(value)

    def row_maker(self, *, created: datetime) -> Callable[[IntentKey], InsertRow]:
        """A function turning a checked key into the row the insert sends."""
        created_db = self._timestamp_text(created)
        programs, adapt_program, timestamp_text = self._programs, self._adapt_program, self._timestamp_text
        if len(programs) > 100_000:
            programs.clear()

        def to_db(key: IntentKey) -> InsertRow:
            program = programs.get(key.program_uuid)
            if program is None:
                program = programs[key.program_uuid] = adapt_program(key.program_uuid)
            return InsertRow(
                key.lms_user_id, program, timestamp_text(key.effective_timestamp), key.reason, key.certainty, created_db
            )

        return to_db

    def insert(self, rows: list[InsertRow]) -> int:
        """Insert ``rows``, skipping those the unique constraint refuses; return how many were new."""
        raise NotImplementedError

    def unrecorded(self, rows: Mapping[IntentKey, InsertRow]) -> list[InsertRow]:
        """
        The rows (key -> row made by ``row_maker``) whose intent the table does not hold yet.

        One read per ``LOOKUP_CHUNK`` learners, served by the unique index (it starts with
        ``lms_user_id``): its cost grows with those learners' intents, not with the table.
        Each intent is read as one text, its key's columns joined by "|" (no value can hold
        one), and compared with the same text made of each row: a re-run reads millions of
        intents, and one value per intent is the least the driver converts.
        """
        probes = ["|".join(map(str, row[:_KEY_WIDTH])) for row in rows.values()]
        wanted = set(probes)
        learners = sorted({key.lms_user_id for key in rows})
        recorded = set()
        select = f"SELECT {self._key_text_sql()} FROM {self._table} WHERE {self.db.ops.quote_name('lms_user_id')} IN "
        with self.db.cursor() as cursor:
            for start in range(0, len(learners), LOOKUP_CHUNK):
                # Checked learner ids are ints, written as such ({:d} refuses anything else).
                chunk = ", ".join(map("{:d}".format, learners[start : start + LOOKUP_CHUNK]))
                cursor.execute(f"{select}({chunk})")
                # Of the learners' intents, only those this batch sends are kept.
                recorded.update(wanted.intersection(text for (text,) in cursor.fetchall()))
        return [row for probe, row in zip(probes, rows.values(), strict=True) if probe not in recorded]

    def _key_columns(self) -> list[str]:
        return [self.db.ops.quote_name(name) for name in IntentKey._fields]

    def _key_text_sql(self) -> str:
        """SQL of one intent's key as the text ``unrecorded`` makes of a row."""
        raise NotImplementedError


class SQLiteBatchWriter(BatchWriter):
    """SQLite: ``INSERT OR IGNORE`` through ``executemany``. SQLite looks a key up before writing."""

    vendor = "sqlite"

    def __init__(self, db):
        super().__init__(db)
        placeholders = ", ".join(["%s"] * len(InsertRow._fields))
        self._sql = f"INSERT OR IGNORE INTO {self._table} ({self._columns}) VALUES ({placeholders})"

    def insert(self, rows: list[InsertRow]) -> int:
        with self.db.cursor() as cursor:
            cursor.executemany(self._sql, rows)
            return cursor.rowcount

    def _key_text_sql(self) -> str:
        # SQLite returns each value as it was sent.
        return " || '|' || ".join(self._key_columns())


# What the texts a MySQL VALUES list quotes can be: a UUID's (32 hex digits, or hyphenated
# for a native UUID column) and a DATETIME(6)'s.
_UUID_TEXT = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DATETIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")


class MySQLBatchWriter(BatchWriter):
    """
    MySQL/MariaDB: ``INSERT IGNORE`` written as multi-row statements.

    mysqlclient's ``executemany`` quotes each value in Python (docs/bulk_load.rst measures
    it); this writer writes the ``VALUES`` list itself. A text is placed between quotes
    only once it matched the allowlist of its column's form (``_UUID_TEXT``,
    ``_DATETIME_TEXT``), ids are formatted as integers, and reasons and certainties are
    the driver's own literals of the enum values: a value of any other form is refused
    (``ValueError``), never written.

    InnoDB handles a refused row by writing it and undoing it, so re-runs read first.
    """

    vendor = "mysql"
    read_known_rows_first = True
    # Rows per INSERT statement: about 250 KB of SQL, far below the smallest default
    # max_allowed_packet (4 MB, MySQL 5.7).
    STATEMENT_ROWS = 2000

    def __init__(self, db):
        super().__init__(db)
        self._insert_into = f"INSERT IGNORE INTO {self._table} ({self._columns}) VALUES "
        db.ensure_connection()
        self._choices = {
            value: db.connection.literal(value).decode("ascii")
            for value in (*IntentReason.values, *IntentCertainty.values)
        }
        # Program and created texts already matched against the allowlist.
        self._safe_texts: set[str] = set()

    def _adapt_program(self, program: uuid.UUID) -> str:
        # A native UUID column (MariaDB 10.7+) gets a UUID, which mysqlclient would quote
        # as str(value): the text, as for a CHAR(32) column.
        return str(super()._adapt_program(program))

    def _timestamp_text(self, value: datetime) -> str:
        # Always six fractional digits, as MySQL gives a DATETIME(6) back, so that a row's
        # key text equals the one ``unrecorded`` reads.
        text = self._adapt_timestamp(value)
        return f"{text}.000000" if len(text) == 19 else text

    def insert(self, rows: list[InsertRow]) -> int:
        created = 0
        with self.db.cursor() as cursor:
            for start in range(0, len(rows), self.STATEMENT_ROWS):
                values = ", ".join(map(self._values, rows[start : start + self.STATEMENT_ROWS]))
                cursor.execute(f"{self._insert_into}{values}")
                created += cursor.rowcount
        return created

    def _values(self, row: InsertRow) -> str:
        """The row's ``(...)`` in the VALUES list, in ``InsertRow``'s column order."""
        user, program, timestamp, created = row.lms_user_id, row.program_uuid, row.effective_timestamp, row.created
        if program not in self._safe_texts:
            self._allow(_UUID_TEXT, program)
        if created not in self._safe_texts:
            self._allow(_DATETIME_TEXT, created)
        if type(timestamp) is not str or not _DATETIME_TEXT.fullmatch(timestamp):
            raise ValueError(f"not a checked value: {timestamp!r}")
        if type(user) is not int:
            raise ValueError(f"not a checked value: {user!r}")
        try:
            reason, certainty = self._choices[row.reason], self._choices[row.certainty]
        except (KeyError, TypeError):
            raise ValueError(f"not a checked value: {row.reason!r} or {row.certainty!r}") from None
        return f"({user:d}, '{program}', '{timestamp}', {reason}, {certainty}, '{created}')"

    def _allow(self, form: re.Pattern, text) -> None:
        if type(text) is not str or not form.fullmatch(text):
            raise ValueError(f"not a checked value: {text!r}")
        self._safe_texts.add(text)

    def _key_text_sql(self) -> str:
        return f"CONCAT_WS('|', {', '.join(self._key_columns())})"


WRITERS = {writer.vendor: writer for writer in (SQLiteBatchWriter, MySQLBatchWriter)}


def batch_writer(db) -> BatchWriter:
    """The batch writer of ``db``'s backend; ``NotSupportedError`` for a backend PIE does not run on."""
    try:
        return WRITERS[db.vendor](db)
    except KeyError:
        raise NotSupportedError(f"PIE's batch load runs on SQLite and MySQL/MariaDB, not {db.vendor}") from None


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
