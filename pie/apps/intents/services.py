"""
The only write path for program intents.

Every door into PIE (the REST API, the bulk CSV command, event-bus receivers) records
intents through these functions, so validation and de-duplication live here once. The
database's unique constraint is what decides a duplicate, also when two writers race.
"""

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import islice

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from pie.apps.intents.exceptions import InvalidIntentError
from pie.apps.intents.models import DEDUPLICATION_FIELDS, ProgramIntent
from pie.apps.intents.validation import clean_intent_values, intent_key_cleaner

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000

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
    iterator = iter(rows)
    while batch := list(islice(iterator, batch_size)):
        yield _record_batch(batch, dry_run=dry_run)


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


def _record_batch(batch: list[Mapping], *, dry_run: bool) -> RecordIntentsResult:
    result = RecordIntentsResult()
    now = timezone.now()
    clean = intent_key_cleaner(now=now)
    # De-duplication key -> nothing: a dict keeps the first occurrence in file order, so
    # ids follow the order of the rows (ties in the read rules fall back on id).
    unique: dict[tuple, None] = {}
    for row in batch:
        try:
            key = clean(
                lms_user_id=row.get("lms_user_id"),
                program_uuid=row.get("program_uuid"),
                reason=row.get("reason"),
                certainty=row.get("certainty"),
                effective_timestamp=row.get("effective_timestamp"),
            )
        except InvalidIntentError as error:
            result.rejected.append(RejectedRow(row=row, errors=error.errors))
            continue
        unique[key] = None
    if unique and dry_run:
        result.created = _count_unrecorded(unique)
    elif unique:
        with transaction.atomic():
            result.created = _insert_ignoring_duplicates(unique, created=now)
    result.duplicates = len(batch) - len(result.rejected) - result.created
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


def _insert_ignoring_duplicates(keys: Iterable[tuple], *, created: datetime) -> int:
    """
    Insert rows in one statement, skipping those the unique constraint refuses.

    ``keys`` are checked de-duplication keys (``IntentValues.key``). Returns the number of
    rows inserted. Uses Django's own vendor-specific "ignore conflicts" SQL (the one
    ``bulk_create(ignore_conflicts=True)`` emits) but through ``executemany``, whose row
    count tells how many rows were new.
    """
    # The connection itself, not the thread-local proxy: it is used once per row below.
    db = connections[DEFAULT_DB_ALIAS]
    fields = [ProgramIntent._meta.get_field(name) for name in _INSERT_FIELDS]
    ops = db.ops
    suffix = ops.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None)
    sql = "{insert} {table} ({columns}) VALUES ({placeholders}) {suffix}".format(
        insert=ops.insert_statement(on_conflict=OnConflict.IGNORE),
        table=ops.quote_name(ProgramIntent._meta.db_table),
        columns=", ".join(ops.quote_name(f.column) for f in fields),
        placeholders=", ".join(["%s"] * len(fields)),
        suffix=suffix,
    ).rstrip()
    _, uuid_field, _, _, timestamp_field, _ = fields
    # Checked values are UUIDs and aware UTC datetimes, so the backend's adaptation is all
    # that is left of get_db_prep_save; a batch names few programs, so each is adapted once.
    adapt_timestamp = ops.adapt_datetimefield_value
    created_db = timestamp_field.get_db_prep_save(created, db)
    program_db: dict = {}
    params = []
    for user, program, timestamp, reason, certainty in keys:
        program_value = program_db.get(program)
        if program_value is None:
            program_value = program_db[program] = uuid_field.get_db_prep_save(program, db)
        params.append((user, program_value, reason, certainty, adapt_timestamp(timestamp), created_db))
    with db.cursor() as cursor:
        cursor.executemany(sql, params)
        return cursor.rowcount
