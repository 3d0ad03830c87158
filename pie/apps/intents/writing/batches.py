"""
The batch path of the service layer: rows read in batches, each checked and de-duplicated,
then written in its own transaction by the backend's writer.

``services.iter_record_intents`` is the entry point; this module holds its machinery.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from pie.apps.core import retirement
from pie.apps.core.exceptions import LearnerRetiredError
from pie.apps.core.iterables import batches as batches_of
from pie.apps.core.transactions import serialised
from pie.apps.intents.constants import IntentKey
from pie.apps.intents.exceptions import InvalidIntentError
from pie.apps.intents.validation import intent_key_cleaner
from pie.apps.intents.writing.base import BatchWriter


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not recorded: the row as given, and a message for each field at fault."""

    row: Mapping
    errors: dict[str, str]


@dataclass(slots=True)
class RecordIntentsResult:
    """What a batch load did: rows inserted (new intents), rows already recorded, and rows rejected."""

    inserted: int = 0
    duplicates: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.inserted + self.duplicates + len(self.rejected)

    def add(self, other: "RecordIntentsResult") -> None:
        self.inserted += other.inserted
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)


@dataclass(slots=True)
class CheckedBatch:
    """A batch checked and de-duplicated, ready to write: no query has been made for it."""

    size: int
    rejected: list[RejectedRow]
    # Key -> the row as the writer's insert sends it. A dict keeps the first occurrence in
    # the stream's order, so ids follow the order of the rows (ties in the read rules fall
    # back on id).
    rows: dict[IntentKey, object]
    # The batch's one reading of the clock: its rows are recorded at this time.
    recorded_at: datetime
    # The rows as read, for the rare batch that holds a retired learner's.
    source: list[Mapping]
    # The hashes of the batch's learners (retirement.hashes_of_learners), made here so that
    # the writing thread only has to look them up.
    learner_hashes: dict[int, int]


def checked_batches(rows: Iterable[Mapping], *, size: int, writer: BatchWriter, ahead: bool) -> Iterator[CheckedBatch]:
    """
    Read ``rows`` in batches of ``size`` and check each; with ``ahead``, a worker thread
    checks the next batch while the caller writes this one.

    Checking is Python work; writing is mostly waiting for the database, which the drivers
    do without holding the GIL, so the two overlap. Batches are read here, in order, one
    ahead of the batch being written; the worker makes no query (the learners' retirement
    hashes are made there too, and looked up by the writing thread).
    """
    batches = batches_of(rows, size)
    if not ahead:
        for batch in batches:
            yield _check(batch, writer=writer)
        return
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pie-check-batch")
    try:
        checking = _check_next(worker, batches, writer)
        while checking is not None:
            checked = checking.result()
            try:
                checking = _check_next(worker, batches, writer)
            except Exception:
                # The rows broke off (an unreadable file): what was read before still loads.
                yield checked
                raise
            yield checked
    finally:
        worker.shutdown(cancel_futures=True)


class BatchRefused(Exception):
    """``keep`` refused a batch: nothing of it was written. ``result`` is what it would have done."""

    def __init__(self, result: "RecordIntentsResult"):
        super().__init__("the batch was refused")
        self.result = result


class _RetiredLearnersInBatch(Exception):
    def __init__(self, retired: set[int]):
        self.retired = retired


def write_batch(
    batch: CheckedBatch,
    *,
    writer: BatchWriter,
    dry_run: bool,
    read_first: bool,
    keep: Callable[[RecordIntentsResult, list[Mapping]], bool] | None = None,
) -> RecordIntentsResult:
    """
    Write ``batch`` in one transaction (or, with ``dry_run``, only count what it would
    create, by reading); ``read_first`` reads which rows are recorded and sends only the others.

    The rows go in first; then, in the same transaction, a locking read of the batch's
    learners' retirement hashes (ADR 0017): if some are retired, the transaction is rolled
    back, their rows are rejected, and the others are written again. ``keep``, if given,
    sees what the batch did and its rows as read, before it is committed: False rolls it
    back and raises ``BatchRefused``.
    """
    if not batch.rows and not dry_run:
        return _kept(_result(batch, inserted=0), batch, keep)
    if dry_run:
        _refuse_rows_of(batch, retirement.retired_among_hashes(batch.learner_hashes, using=writer.db.alias))
        return _result(batch, inserted=len(writer.unrecorded(batch.rows)))

    def write() -> RecordIntentsResult:
        # The insert still skips what the read did not see (a concurrent writer).
        new = writer.unrecorded(batch.rows) if read_first else list(batch.rows.values())
        result = _result(batch, inserted=writer.insert(new, recorded_at=batch.recorded_at) if new else 0)
        retired = retirement.retired_among_hashes(batch.learner_hashes, lock=True, using=writer.db.alias)
        if retired:
            raise _RetiredLearnersInBatch(retired)
        if keep is not None and not keep(result, batch.source):
            raise BatchRefused(result)
        return result

    while True:
        try:
            return serialised(write, using=writer.db.alias, what="writing a batch of intents")
        except _RetiredLearnersInBatch as found:
            # Rolled back: written again without them (their rows are rejected), if any remain.
            _refuse_rows_of(batch, found.retired)
            if not batch.rows:
                return _kept(_result(batch, inserted=0), batch, keep)


def _kept(result: RecordIntentsResult, batch: CheckedBatch, keep) -> RecordIntentsResult:
    """A batch that writes nothing, given to ``keep`` all the same (its rejections count)."""
    if keep is not None and not keep(result, batch.source):
        raise BatchRefused(result)
    return result


def _result(batch: CheckedBatch, *, inserted: int) -> RecordIntentsResult:
    duplicates = batch.size - len(batch.rejected) - inserted
    return RecordIntentsResult(inserted=inserted, duplicates=duplicates, rejected=batch.rejected)


def _check_next(worker: ThreadPoolExecutor, batches: Iterator[list[Mapping]], writer: BatchWriter) -> Future | None:
    """Read the next batch and hand it to the worker to check; None when the rows are done."""
    batch = next(batches, None)
    return None if batch is None else worker.submit(_check, batch, writer=writer)


def _check(batch: list[Mapping], *, writer: BatchWriter) -> CheckedBatch:
    now = timezone.now()
    clean = intent_key_cleaner(now=now)
    to_db = writer.row
    rejected = []
    unique: dict[IntentKey, object] = {}
    for row in batch:
        try:
            key = clean(row)
        except InvalidIntentError as error:
            rejected.append(RejectedRow(row=row, errors=error.errors))
            continue
        if key not in unique:
            unique[key] = to_db(key)
    return CheckedBatch(
        size=len(batch),
        rejected=rejected,
        rows=unique,
        recorded_at=now,
        source=batch,
        learner_hashes=retirement.hashes_of_learners(key.lms_user_id for key in unique),
    )


def _refuse_rows_of(batch: CheckedBatch, retired: set[int]) -> None:
    """Move the rows of the ``retired`` learners from the batch's rows to its rejections."""
    if not retired:
        return
    batch.rows = {key: row for key, row in batch.rows.items() if key.lms_user_id not in retired}
    batch.learner_hashes = {
        hashed: learner for hashed, learner in batch.learner_hashes.items() if learner not in retired
    }
    # Every row as read is rejected, repeats included, so the counts still add up to the rows.
    clean = intent_key_cleaner(now=batch.recorded_at)
    errors = LearnerRetiredError().errors
    for row in batch.source:
        try:
            key = clean(row)
        except InvalidIntentError:
            continue  # already rejected for its values
        if key.lms_user_id in retired:
            batch.rejected.append(RejectedRow(row=row, errors=errors))
    # Rejections in the order of the rows, as the report lists them.
    position = {id(row): index for index, row in enumerate(batch.source)}
    batch.rejected.sort(key=lambda rejected: position[id(rejected.row)])
