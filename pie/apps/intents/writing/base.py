"""
What every backend's batch writer shares (``BatchWriter``): the key's values in the
database's form, and reading which rows of a batch the table already holds.

Columns are always in ``IntentKey``'s order, then ``created`` (when it is recorded); a row lists the key's values
in that order (``test_services`` checks the stored values of each column).
"""

import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import ClassVar

from pie.apps.core.sql import in_integers
from pie.apps.intents.constants import IntentKey
from pie.apps.intents.models import ProgramIntent

# Learners per read of ``unrecorded``: a default batch's learners in one read. Each read
# returns with the GIL to take back from the checking thread, so fewer reads cost less
# (docs/bulk_load.rst). ``core.sql.in_integers`` writes the list: no parameter limit applies.
LOOKUP_CHUNK = 10_000

INSERT_FIELDS = (*IntentKey._fields, "created")


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
