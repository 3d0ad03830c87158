"""
The only write path for program intents.

Every door into PIE (the REST API, the bulk CSV command, event-bus receivers) records
intents through these functions, so validation and de-duplication live here once. The
database's unique constraint is what decides a duplicate, also when two writers race.
"""

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Unpack

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections
from django.utils import timezone

from pie.apps.bus.recording import forget_failed_events
from pie.apps.core import retirement
from pie.apps.core.exceptions import LearnerRetiredError
from pie.apps.core.signals import learner_retired
from pie.apps.core.transactions import serialised
from pie.apps.intents.constants import IntentValues
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.validation import clean_intent
from pie.apps.intents.writing.batches import (
    BatchRefused,
    RecordIntentsResult,
    RejectedRow,
    checked_batches,
    write_batch,
)
from pie.apps.intents.writing.single import insert_intent
from pie.apps.intents.writing.writers import batch_writer

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "BatchRefused",
    "RecordIntentsResult",
    "RejectedRow",
    "iter_record_intents",
    "record_intent",
    "record_intents",
    "retire_learner",
]


@dataclass(frozen=True, slots=True)
class RetirementResult:
    """What retiring a learner deleted."""

    intents: int
    users: int
    failed_events: int


# Rows per transaction of a bulk load, chosen by measurement (docs/bulk_load.rst).
DEFAULT_BATCH_SIZE = 10_000


def record_intent(**values: Unpack[IntentValues]) -> tuple[ProgramIntent, bool]:
    """
    Record one intent, given as keyword arguments (``IntentValues``); return it and whether
    it is new.

    ``effective_timestamp`` defaults to now; a naive one is taken as UTC. An intent that
    is already recorded (the same five de-duplication fields) is returned with
    ``False``, also when another writer inserted it a moment before. Raises
    ``InvalidIntentError`` when a value breaks a rule, ``LearnerRetiredError`` (one of
    them) for a retired learner.
    """
    now = timezone.now()
    if values.get("effective_timestamp") is None:
        values = {**values, "effective_timestamp": now}
    key = clean_intent(values, now=now)

    def insert() -> int:
        # Insert, then read whether the learner is retired, with a lock, in one transaction:
        # a retirement under way is waited for, so the intent is either refused here or
        # deleted by the retirement (ADR 0017).
        pk = insert_intent(key, recorded_at=now, using=DEFAULT_DB_ALIAS)
        if retirement.is_retired(key.lms_user_id, lock=True):
            raise LearnerRetiredError()
        return pk

    try:
        pk = serialised(insert, what="recording an intent")
    except IntegrityError:
        # The unique constraint said no: the intent is already recorded, perhaps by a
        # concurrent writer. Anything else is a real error and is raised again.
        existing = ProgramIntent.objects.filter(**key._asdict()).first()
        if existing is None:
            raise
        return existing, False
    intent = ProgramIntent(pk=pk, created=now, **key._asdict())
    intent._state.adding = False
    intent._state.db = DEFAULT_DB_ALIAS
    log.info("Recorded program intent %s: %s", intent.pk, key)
    return intent, True


def iter_record_intents(
    rows: Iterable[Mapping],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    check_ahead: bool = False,
    keep: Callable[[RecordIntentsResult, list[Mapping]], bool] | None = None,
) -> Iterator[RecordIntentsResult]:
    """
    Record a stream of intents in batches, yielding what each batch did.

    Each row is a mapping of ``IntentValues``, ``effective_timestamp`` included (objects
    or strings; other keys are ignored and the row is handed back untouched when
    rejected). Each row is checked with the same rules as ``record_intent``; a bad row is
    rejected and the others still load; a retired learner's rows are rejected, also when
    the learner is retired while the batch is written (ADR 0017). Each batch is written in
    one transaction by one multi-row insert that skips duplicates (of the database, or of
    earlier rows), so a batch is either entirely recorded or not at all, and re-running a
    load records nothing twice.

    ``keep``, if given, sees what each batch did and its rows as read, before the batch is
    committed: False rolls the batch back and raises ``BatchRefused`` (with what the batch
    would have done), and the stream stops there.

    ``dry_run`` checks the rows and counts without writing: ``inserted`` is then the
    number of rows not yet in the database, found by reading it. A row that repeats one
    of an earlier batch of the same stream is counted as inserted by a dry run (the
    earlier batch was not written), and as a duplicate by a real run.

    ``check_ahead`` has a worker thread check the next batch while the current one is
    written, for long loads: ``rows`` is then read one batch ahead of what has been
    written. Without it, rows are read only as each batch is about to be written.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    writer = batch_writer(connections[DEFAULT_DB_ALIAS])
    read_first = False
    for batch in checked_batches(rows, size=batch_size, writer=writer, ahead=check_ahead):
        result = write_batch(batch, writer=writer, dry_run=dry_run, read_first=read_first, keep=keep)
        # Re-running a load, or loading a refreshed report, sends mostly intents already
        # recorded: where the writer says reading them is cheaper than refusing them, once
        # most of a batch was already recorded, the next batch reads first. A first load
        # never pays for the read.
        read_first = writer.read_known_rows_first and (len(batch.rows) - result.inserted) * 2 > len(batch.rows)
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


def retire_learner(*, lms_user_id: int, username: str | None = None) -> RetirementResult:
    """
    Retire a learner: delete all they have in PIE, and refuse anything of theirs from now on.

    The one deletion of intents (the model refuses every other), and an audited one: it
    logs what it removed, with the LMS user id as the only identifier. First the learner's
    salted hash is kept and committed (``core.retirement``); then, in a second transaction,
    their intents, their local user (by LMS user id, and by ``username``, the LMS's original
    username, for a user stored without an id), their kept failed events and what the apps
    that receive ``core.signals.learner_retired`` keep of them are deleted.
    Every writer reads the hash with a lock after writing, in its own transaction, so a
    write racing this one is refused, or committed early enough for the deletion to find it
    (ADR 0017). Should the deletion fail, the learner is refused already and the retirement
    pipeline's retry deletes the rest. Retiring a learner again, or one PIE never knew,
    deletes nothing and succeeds.
    """
    serialised(lambda: retirement.mark_retired(lms_user_id), what="keeping a retired learner's hash")

    def delete() -> RetirementResult:
        learner_retired.send(sender=None, lms_user_id=lms_user_id)
        users = get_user_model().objects.filter(lms_user_id=lms_user_id)
        if username:
            users = users | get_user_model().objects.filter(username=username, lms_user_id__isnull=True)
        return RetirementResult(
            intents=ProgramIntent.objects.filter(lms_user_id=lms_user_id)._delete_for_retirement(),
            users=users.delete()[0],
            failed_events=forget_failed_events(lms_user_id=lms_user_id),
        )

    result = serialised(delete, what="deleting a retired learner's data")
    log.info(
        "Retired learner lms_user_id=%s: deleted %d intents, %d local users, %d failed events",
        lms_user_id,
        result.intents,
        result.users,
        result.failed_events,
    )
    return result
