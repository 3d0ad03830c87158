"""
The SQL of a batch load, one writer class per backend.

A writer inserts checked, de-duplicated rows with the backend's "ignore conflicts" insert
(the SQL that ``bulk_create(ignore_conflicts=True)`` emits), whose row count tells how
many were new, and reads which rows of a batch the table already holds. ``batches`` is
its only caller: a writer's rows are made by its ``row`` from ``IntentKey``s that
``validation`` checked, in the worker thread that checks a batch.

Columns are always in ``IntentKey``'s order, then ``created`` (when it is recorded); a row lists the key's values
in that order (``test_services`` checks the stored values of each column).
"""

import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import ClassVar

from django.db import NotSupportedError

from pie.apps.core.sql import in_integers, insert_ignoring_into
from pie.apps.intents.constants import IntentCertainty, IntentKey, IntentReason
from pie.apps.intents.models import ProgramIntent

# Learners per read of ``unrecorded``: a default batch's learners in one read. Each read
# returns with the GIL to take back from the checking thread, so fewer reads cost less
# (docs/bulk_load.rst). ``core.sql.in_integers`` writes the list: no parameter limit applies.
LOOKUP_CHUNK = 10_000

INSERT_FIELDS = (*IntentKey._fields, "created")
# A timestamp's text as SQLite stores it: Django's, with decimals only when not all zero.
_SQLITE_DATETIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?")


class BatchWriter:
    """What the writers share: the key's values in the database's form, and reading what is recorded."""

    vendor: ClassVar[str]
    # Whether, once most of a batch was already recorded (a re-run, a refreshed report),
    # the next batch should first read which of its rows are, and insert only the others:
    # true where refusing a known row costs the database more than reading it.
    read_known_rows_first: ClassVar[bool] = False

    def __init__(self, db):
        self.db = db
        ops = db.ops
        self._table = ops.quote_name(ProgramIntent._meta.db_table)
        self._columns = {name: ops.quote_name(ProgramIntent._meta.get_field(name).column) for name in INSERT_FIELDS}
        self._uuid_field = ProgramIntent._meta.get_field("program_uuid")
        # Checked values are UUIDs and aware UTC datetimes, so the backend's adaptation is
        # all that is left of get_db_prep_save.
        self._adapt_timestamp = _utc_text if _adapts_as_utc_text(db) else ops.adapt_datetimefield_value
        # A load names few programs over many rows: each is adapted once.
        self._programs: dict[uuid.UUID, str] = {}
        # Adapting a UUID may first ask the server its version (is the column native?):
        # done here, in the connection's thread, since rows are made in another.
        self._program_text(uuid.UUID(int=0))

    def _program_text(self, program: uuid.UUID) -> str:
        text = self._programs.get(program)
        if text is None:
            if len(self._programs) > 100_000:
                self._programs.clear()
            text = self._programs[program] = self._adapt_program(program)
        return text

    def _adapt_program(self, program: uuid.UUID) -> str:
        # A native UUID column (MariaDB 10.7+) takes a UUID, which the drivers send as
        # str(value); other backends take the 32 hex digits.
        return str(self._uuid_field.get_db_prep_save(program, self.db))

    def _timestamp_text(self, value: datetime) -> str:
        return self._adapt_timestamp(value)

    def row(self, key: IntentKey):
        """The row this writer's insert sends for a checked key."""
        raise NotImplementedError

    def insert(self, rows: list, *, recorded_at: datetime) -> int:
        """
        Insert ``rows`` (made by ``row``), recorded at ``recorded_at``, skipping those the
        unique constraint refuses; return how many were new.
        """
        raise NotImplementedError

    def unrecorded(self, rows: Mapping[IntentKey, object]) -> list:
        """
        The rows (key -> row made by ``row``) whose intent the table does not hold yet.

        Read in a few statements (``_recorded_reads``), served by the unique index: their
        cost grows with the batch's own learners' intents, not with the table. Each intent
        is read as one text (``_recorded_text_sql``), compared with the text ``_probe``
        makes of each row: a re-run reads millions of intents, and one value per intent is
        the least the driver converts.
        """
        probes = list(map(self._probe, rows.values()))
        wanted = set(probes)
        recorded = set()
        select = f"SELECT {self._recorded_text_sql()} FROM {self._recorded_source_sql()} WHERE "
        with self.db.cursor() as cursor:
            for where, params in self._recorded_reads(rows):
                cursor.execute(select + where, params)
                # Of the intents read, only those this batch sends are kept.
                recorded.update(wanted.intersection(text for (text,) in cursor.fetchall()))
        return [row for probe, row in zip(probes, rows.values(), strict=True) if probe not in recorded]

    def _recorded_source_sql(self) -> str:
        """The FROM of the read of recorded rows."""
        return self._table

    def _recorded_reads(self, rows: Mapping[IntentKey, object]) -> Iterator[tuple[str, list | None]]:
        """
        The WHERE clauses (and parameters) that read every recorded intent of ``rows``: the
        intents of their learners, ``LOOKUP_CHUNK`` learners a statement.
        """
        learners = sorted({key.lms_user_id for key in rows})
        for start in range(0, len(learners), LOOKUP_CHUNK):
            yield in_integers(self.db, self._columns["lms_user_id"], learners[start : start + LOOKUP_CHUNK])

    def _probe(self, row) -> str:
        raise NotImplementedError

    def _recorded_text_sql(self) -> str:
        """SQL of one recorded intent as the text ``_probe`` makes of a row of the same key."""
        raise NotImplementedError


class SQLiteBatchWriter(BatchWriter):
    """
    SQLite: ``INSERT OR IGNORE`` through ``executemany``, the key's values as parameters.
    SQLite looks a key up before writing. The batch's one ``recorded_at`` is written in the
    statement, as a text of the allowed form (``_SQLITE_DATETIME_TEXT``), so that no row
    is copied to add it.
    """

    vendor = "sqlite"

    def __init__(self, db):
        super().__init__(db)
        placeholders = ", ".join(["%s"] * len(IntentKey._fields))
        self._sql = insert_ignoring_into(db, ProgramIntent, INSERT_FIELDS) + f"({placeholders}, '{{created}}')"

    def row(self, key: IntentKey) -> tuple:
        """The key's values as parameters, in ``IntentKey``'s order."""
        program = self._programs.get(key.program_uuid) or self._program_text(key.program_uuid)
        return (key.lms_user_id, program, self._adapt_timestamp(key.effective_timestamp), key.reason, key.certainty)

    def insert(self, rows: list[tuple], *, recorded_at: datetime) -> int:
        created_text = self._timestamp_text(recorded_at)
        if not _SQLITE_DATETIME_TEXT.fullmatch(created_text):
            raise ValueError(f"not a checked value: {created_text!r}")
        with self.db.cursor() as cursor:
            cursor.executemany(self._sql.format(created=created_text), rows)
            return cursor.rowcount

    def _probe(self, row: tuple) -> str:
        return "|".join(map(str, row))

    def _recorded_text_sql(self) -> str:
        # SQLite gives each value back as it was sent; no value can hold a "|".
        return " || '|' || ".join(self._columns[name] for name in IntentKey._fields)


# The forms of the texts a MySQL VALUES list may quote: a UUID's (32 hex digits, or
# hyphenated for a native UUID column) and a DATETIME(6)'s, always with six decimals.
_UUID_TEXT = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DATETIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")


class MySQLBatchWriter(BatchWriter):
    """
    MySQL/MariaDB: ``INSERT IGNORE`` written as multi-row statements.

    mysqlclient's ``executemany`` quotes each value in Python (docs/bulk_load.rst measures
    it); this writer writes the ``VALUES`` list itself. A row is its key's SQL literals,
    ``lms_user_id, 'program', 'timestamp', 'reason', 'certainty'``: a text is placed
    between quotes only once it matched the allowlist of its column's form
    (``_UUID_TEXT``, ``_DATETIME_TEXT``), the id is formatted as an integer, and reasons
    and certainties are the driver's own literals of the enum values. A value of any
    other form is refused (``ValueError``), never written. The read of ``unrecorded``
    gives each recorded intent back as the same literals (``QUOTE``), so a row is its own probe.

    InnoDB handles a refused row by writing it and undoing it, so re-runs read first.
    """

    vendor = "mysql"
    read_known_rows_first = True
    # Rows per INSERT statement: about 250 KB of SQL, far below the smallest default
    # max_allowed_packet (4 MB, MySQL 5.7).
    STATEMENT_ROWS = 2000
    # (Learner, program) pairs per read of ``unrecorded``: a default batch's in two
    # statements, each a range read well inside MySQL's range_optimizer_max_mem_size (8 MB).
    PAIRS_PER_READ = 5000

    def __init__(self, db):
        super().__init__(db)
        self._insert_into = insert_ignoring_into(db, ProgramIntent, INSERT_FIELDS)
        db.ensure_connection()
        self._choices = {
            value: db.connection.literal(value).decode("ascii")
            for value in (*IntentReason.values, *IntentCertainty.values)
        }

    def _timestamp_text(self, value: datetime) -> str:
        # Always six decimals, as MySQL gives a DATETIME(6) back.
        text = self._adapt_timestamp(value)
        return f"{text}.000000" if len(text) == 19 else text

    def _adapt_program(self, program: uuid.UUID) -> str:
        text = super()._adapt_program(program)
        if not _UUID_TEXT.fullmatch(text):
            raise ValueError(f"not a checked value: {text!r}")
        return text

    def row(self, key: IntentKey) -> str:
        """The key's literals, in ``IntentKey``'s order, each of an allowed form (``ValueError`` otherwise)."""
        # Program texts are matched against their allowlist once, when first adapted.
        program = self._programs.get(key.program_uuid) or self._program_text(key.program_uuid)
        timestamp = self._timestamp_text(key.effective_timestamp)
        user, reason, certainty = key.lms_user_id, self._choices.get(key.reason), self._choices.get(key.certainty)
        if type(user) is not int or reason is None or certainty is None or not _DATETIME_TEXT.fullmatch(timestamp):
            raise ValueError(f"not a checked value: {key!r} ({timestamp!r})")
        return f"{user:d}, '{program}', '{timestamp}', {reason}, {certainty}"

    def insert(self, rows: list[str], *, recorded_at: datetime) -> int:
        created_text = self._timestamp_text(recorded_at)
        if not _DATETIME_TEXT.fullmatch(created_text):
            raise ValueError(f"not a checked value: {created_text!r}")
        between = f", '{created_text}'), ("
        inserted = 0
        with self.db.cursor() as cursor:
            for start in range(0, len(rows), self.STATEMENT_ROWS):
                values = between.join(rows[start : start + self.STATEMENT_ROWS])
                cursor.execute(f"{self._insert_into}({values}, '{created_text}')")
                inserted += cursor.rowcount
        return inserted

    def _probe(self, row: str) -> str:
        return row

    def _recorded_text_sql(self) -> str:
        literals = (
            column if name == "lms_user_id" else f"QUOTE({column})"
            for name, column in self._columns.items()
            if name in IntentKey._fields
        )
        return f"CONCAT_WS(', ', {', '.join(literals)})"

    def _recorded_source_sql(self) -> str:
        # The unique index, named: with thousands of row constructors, MariaDB's optimizer
        # may otherwise scan a whole index and test every entry against the list (3.4 s a
        # statement against 0.03 s on 300,000 intents, once a second index exists).
        unique = next(
            constraint.name
            for constraint in ProgramIntent._meta.constraints
            if tuple(getattr(constraint, "fields", ())) == IntentKey._fields
        )
        return f"{self._table} FORCE INDEX ({self.db.ops.quote_name(unique)})"

    def _recorded_reads(self, rows: Mapping[IntentKey, object]) -> Iterator[tuple[str, None]]:
        """
        By (learner, program), the unique index's first two columns: a batch reads the
        intents of its own learners for its own programs, about one per row, where reading
        all of its learners' intents would read each learner's whole history (ADR 0021).
        """
        pairs = sorted({(key.lms_user_id, self._program_text(key.program_uuid)) for key in rows})
        # Program texts matched their allowlist when first adapted; ids are ints ({:d}).
        where = f"({self._columns['lms_user_id']}, {self._columns['program_uuid']}) IN "
        for start in range(0, len(pairs), self.PAIRS_PER_READ):
            chunk = ", ".join(
                f"({user:d}, '{program}')" for user, program in pairs[start : start + self.PAIRS_PER_READ]
            )
            yield f"{where}({chunk})", None


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
