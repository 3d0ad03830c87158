"""
The only write path for program intents.

Every door into PIE (the REST API, the bulk CSV command, event-bus receivers) records
intents through these functions, so validation and de-duplication live here once. The
database's unique constraint is what decides a duplicate, also when two writers race.
"""

import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import islice

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone

from pie.apps.intents.batch_insert import BatchInsert
from pie.apps.intents.exceptions import InvalidIntentError
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.validation import clean_intent_values, intent_key_cleaner

log = logging.getLogger(__name__)

# Rows per transaction of a bulk load, chosen by measurement (docs/bulk_load.rst): on
# SQLite each commit is a sync to disk, so larger batches load faster up to ~10,000;
# MariaDB is flat from 2,000; memory grows with the batch (about 1 MB per 1,000 rows).
DEFAULT_BATCH_SIZE = 10_000


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
    program_uuid: uuid.UUID | str,
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
    check_ahead: bool = False,
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

    ``check_ahead`` has a worker thread check the next batch while the current one is
    written, for long loads: ``rows`` is then read one batch ahead of what has been
    written. Without it, rows are read only as each batch is about to be written.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    statement = BatchInsert(connections[DEFAULT_DB_ALIAS])
    read_first = False
    for prepared in _checked_batches(_batches(rows, batch_size), statement=statement, ahead=check_ahead):
        result = _write_batch(prepared, statement=statement, dry_run=dry_run, read_first=read_first)
        # Re-running a load, or loading a refreshed report, sends mostly intents already
        # recorded. Where the database refuses such a row at a higher cost than it reads
        # it, once most of a batch was already recorded, the next batch first reads which
        # of its rows are, and sends only the others. A first load never pays for the read.
        read_first = statement.refusals_cost_more and (len(prepared.rows) - result.created) * 2 > len(prepared.rows)
        yield result


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


def _checked_batches(
    batches: Iterator[list[Mapping]], *, statement: BatchInsert, ahead: bool
) -> Iterator["_PreparedBatch"]:
    """
    Check each batch; with ``ahead``, a worker thread checks the next batch meanwhile.

    Checking is Python work; writing is mostly waiting for the database, which the drivers
    do without holding the GIL, so the two overlap. Batches are read here, in order, one
    ahead of the batch being written; the worker makes no query.
    """
    if not ahead:
        for batch in batches:
            yield _prepare_batch(batch, statement=statement)
        return
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pie-check-batch")
    try:
        checking = _check_next(worker, batches, statement)
        while checking is not None:
            prepared = checking.result()
            try:
                checking = _check_next(worker, batches, statement)
            except Exception:
                # The rows broke off (an unreadable file): what was read before still loads.
                yield prepared
                raise
            yield prepared
    finally:
        worker.shutdown(cancel_futures=True)


def _check_next(worker: ThreadPoolExecutor, batches: Iterator[list[Mapping]], statement: BatchInsert):
    """Read the next batch and hand it to the worker to check; None when the rows are done."""
    batch = next(batches, None)
    return None if batch is None else worker.submit(_prepare_batch, batch, statement=statement)


@dataclass(slots=True)
class _PreparedBatch:
    """A batch checked and de-duplicated, ready to write: no query has been made for it."""

    size: int
    rejected: list[RejectedRow]
    # De-duplication key -> the row as the insert sends it. A dict keeps the first
    # occurrence in the stream's order, so ids follow the order of the rows (ties in the
    # read rules fall back on id).
    rows: dict[tuple, tuple]


def _prepare_batch(batch: list[Mapping], *, statement: BatchInsert) -> _PreparedBatch:
    now = timezone.now()
    clean = intent_key_cleaner(now=now)
    to_db = statement.row_maker(created=now)
    rejected = []
    unique: dict[tuple, tuple] = {}
    for row in batch:
        try:
            key = clean(row)
        except InvalidIntentError as error:
            rejected.append(RejectedRow(row=row, errors=error.errors))
            continue
        if key not in unique:
            unique[key] = to_db(key)
    return _PreparedBatch(size=len(batch), rejected=rejected, rows=unique)


def _write_batch(
    batch: _PreparedBatch, *, statement: BatchInsert, dry_run: bool, read_first: bool
) -> RecordIntentsResult:
    result = RecordIntentsResult(rejected=batch.rejected)
    if batch.rows and dry_run:
        result.created = len(statement.unrecorded(batch.rows))
    elif batch.rows:
        with transaction.atomic(using=statement.db.alias):
            # The insert still skips what the read did not see (a concurrent writer).
            new = statement.unrecorded(batch.rows) if read_first else list(batch.rows.values())
            result.created = statement.execute(new) if new else 0
    result.duplicates = batch.size - len(batch.rejected) - result.created
    return result
