"""The batch writer of MySQL and MariaDB."""

import re
import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime

from pie.apps.core.sql import insert_ignoring_into
from pie.apps.intents.constants import IntentCertainty, IntentKey, IntentReason
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.writing.base import INSERT_FIELDS, BatchWriter

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
