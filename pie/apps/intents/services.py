"""
The only write path for program intents.

Every door into PIE (the REST API, the bulk CSV command, event-bus receivers) records
intents through these functions, so validation and de-duplication live here once. The
database's unique constraint is what decides a duplicate, also when two writers race.
"""

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import islice

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from pie.apps.intents.exceptions import InvalidIntentError
from pie.apps.intents.models import DEDUPLICATION_FIELDS, ProgramIntent
from pie.apps.intents.validation import clean_intent_values, intent_key_cleaner

log = logging.getLogger(__name__)

# Rows per transaction of a bulk load, chosen by measurement (docs/bulk_load.rst): on
# SQLite each commit is a sync to disk, so larger batches load faster up to ~10,000;
# MariaDB is flat from 2,000; memory grows with the batch (about 1 MB per 1,000 rows).
DEFAULT_BATCH_SIZE = 10_000

_INSERT_FIELDS = ("lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp", "created")


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not recorded: the row as given, and a message for each field at fault."""

    row: Mapping
    errors: dict[str, str]


@dataclass(slots=True)
class RecordIntentsResult:
    """What a batch load did: rows created, rows already recorded, and rows rejected."""

    created: int = 0
    duplicates: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.duplicates + len(self.rejected)

    def add(self, other: "RecordIntentsResult") -> None:
        self.created += other.created
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)


def record_intent(
    *,
    lms_user_id: int,
    program_uuid,
    reason: str,
    certainty: str,
    effective_timestamp: datetime | str | None = None,
) -> tuple[ProgramIntent, bool]:
    """
    Record one intent; return it and whether it was created.

    ``effective_timestamp`` defaults to now; a naive one is taken as UTC. An intent that
    is already recorded (the same five de-duplication fields) is returned with
    ``created=False``, also when another writer inserted it a moment before. Raises
    ``InvalidIntentError`` when a value breaks a rule.
    """
    now = timezone.now()
    values = clean_intent_values(
        lms_user_id=lms_user_id,
        program_uuid=program_uuid,
        reason=reason,
        certainty=certainty,
        effective_timestamp=now if effective_timestamp is None else effective_timestamp,
        now=now,
    )
    try:
        with transaction.atomic():
            intent = ProgramIntent.objects.create(**asdict(values))
    except IntegrityError:
        # The unique constraint said no: the intent is already recorded, perhaps by a
        # concurrent writer. Anything else is a real error and is raised again.
        existing = ProgramIntent.objects.filter(**asdict(values)).first()
        if existing is None:
            raise
        return existing, False
    log.info(
        "Recorded program intent %s: lms_user_id=%s program_uuid=%s reason=%s certainty=%s",
        intent.pk,
        values.lms_user_id,
        values.program_uuid,
        values.reason,
        values.certainty,
    )
    return intent, True


def iter_record_intents(
    rows: Iterable[Mapping],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
) -> Iterator[RecordIntentsResult]:
    """
    Record a stream of intents in batches, yielding what each batch did.

    Each row is a mapping with the keys ``lms_user_id``, ``program_uuid``, ``reason``,
    ``certainty`` and ``effective_timestamp`` (objects or strings; other keys are
    ignored and the row is handed back untouched when rejected). Each row is checked
    with the same rules as ``record_intent``; a bad row is rejected and the others
    still load. Each batch is written in one transaction by one multi-row insert that
    skips duplicates (of the database, or of earlier rows), so a batch is either
    entirely recorded or not at all, and re-running a load records nothing twice.

    ``dry_run`` checks the rows and counts without writing: ``created`` is then the
    number of rows not yet in the database, found by reading it. A row that repeats one
    of an earlier batch of the same stream is counted as created by a dry run (the
    earlier batch was not written), and as a duplicate by a real run.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    statement = _InsertStatement(connections[DEFAULT_DB_ALIAS])
    for batch in _batches(rows, batch_size):
        yield _write_batch(
            _prepare_batch(batch, statement=statement, dry_run=dry_run), statement=statement, dry_run=dry_run
        )


def record_intents(
    rows: Iterable[Mapping],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
) -> RecordIntentsResult:
    """Record a stream of intents in batches (see ``iter_record_intents``); return the totals."""
    total = RecordIntentsResult()
    for result in iter_record_intents(rows, batch_size=batch_size, dry_run=dry_run):
        total.add(result)
    return total


def _batches(rows: Iterable[Mapping], size: int) -> Iterator[list[Mapping]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass(slots=True)
class _PreparedBatch:
    """A batch checked and de-duplicated, ready to write: no query has been made for it."""

    size: int
    now: datetime
    rejected: list[RejectedRow]
    # De-duplication key -> the row as the insert sends it (None in a dry run). A dict
    # keeps the first occurrence in the stream's order, so ids follow the order of the
    # rows (ties in the read rules fall back on id).
    rows: dict[tuple, tuple | None]


def _prepare_batch(batch: list[Mapping], *, statement: "_InsertStatement", dry_run: bool) -> _PreparedBatch:
    now = timezone.now()
    clean = intent_key_cleaner(now=now)
    to_db = None if dry_run else statement.row_maker(created=now)
    rejected = []
    unique: dict[tuple, tuple | None] = {}
    for row in batch:
        try:
            key = clean(row)
        except InvalidIntentError as error:
            rejected.append(RejectedRow(row=row, errors=error.errors))
            continue
        if key not in unique:
            unique[key] = to_db(key) if to_db else None
    return _PreparedBatch(size=len(batch), now=now, rejected=rejected, rows=unique)


def _write_batch(batch: _PreparedBatch, *, statement: "_InsertStatement", dry_run: bool) -> RecordIntentsResult:
    result = RecordIntentsResult(rejected=batch.rejected)
    if batch.rows and dry_run:
        result.created = _count_unrecorded(batch.rows)
    elif batch.rows:
        with transaction.atomic(using=statement.db.alias):
            result.created = statement.execute(list(batch.rows.values()))
    result.duplicates = batch.size - len(batch.rejected) - result.created
    return result


# Learners per SELECT of a dry run: keeps the IN list well under SQLite's parameter limit.
_DRY_RUN_LOOKUP_CHUNK = 500


def _count_unrecorded(unique: Iterable[tuple]) -> int:
    """How many of these intents the database does not hold yet: what an insert would create."""
    learners = sorted({key[0] for key in unique})
    recorded = set()
    for start in range(0, len(learners), _DRY_RUN_LOOKUP_CHUNK):
        chunk = learners[start : start + _DRY_RUN_LOOKUP_CHUNK]
        recorded.update(
            ProgramIntent.objects.filter(lms_user_id__in=chunk).values_list(*DEDUPLICATION_FIELDS).iterator()
        )
    return sum(1 for key in unique if key not in recorded)


class _InsertStatement:
    """
    The batch insert: one statement that skips the rows the unique constraint refuses.

    Django's own vendor-specific "ignore conflicts" SQL (the one
    ``bulk_create(ignore_conflicts=True)`` emits), run through ``executemany``, whose row
    count tells how many rows were new.
    """

    def __init__(self, db):
        self.db = db
        fields = [ProgramIntent._meta.get_field(name) for name in _INSERT_FIELDS]
        ops = db.ops
        self.sql = "{insert} {table} ({columns}) VALUES ({placeholders}) {suffix}".format(
            insert=ops.insert_statement(on_conflict=OnConflict.IGNORE),
            table=ops.quote_name(ProgramIntent._meta.db_table),
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
        """Insert ``rows``; return how many were new."""
        with self.db.cursor() as cursor:
            cursor.executemany(self.sql, rows)
            return cursor.rowcount


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
