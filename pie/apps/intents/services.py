"""
The only write path for program intents.

Every door into PIE (the REST API, the bulk CSV command, event-bus receivers) records
intents through these functions, so validation and de-duplication live here once. The
database's unique constraint is what decides a duplicate, also when two writers race.
"""

import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone

from pie.apps.intents import retirement
from pie.apps.intents.bulk.batches import RecordIntentsResult, RejectedRow, checked_batches, write_batch
from pie.apps.intents.bulk.writers import batch_writer
from pie.apps.intents.exceptions import LearnerRetiredError
from pie.apps.intents.models import FailedEvent, ProgramIntent, RetiredLearner
from pie.apps.intents.validation import clean_intent_values

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BATCH_SIZE",
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
    ``InvalidIntentError`` when a value breaks a rule, ``LearnerRetiredError`` (one of
    them) for a retired learner.
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
            pk = retirement.insert_unless_retired(values, created=now, using=DEFAULT_DB_ALIAS)
    except IntegrityError:
        # The unique constraint said no: the intent is already recorded, perhaps by a
        # concurrent writer. Anything else is a real error and is raised again.
        existing = ProgramIntent.objects.filter(**values._asdict()).first()
        if existing is None:
            raise
        return existing, False
    if pk is None:
        raise LearnerRetiredError()
    intent = ProgramIntent(pk=pk, created=now, **values._asdict())
    intent._state.adding = False
    intent._state.db = DEFAULT_DB_ALIAS
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
    writer = batch_writer(connections[DEFAULT_DB_ALIAS])
    read_first = False
    for batch in checked_batches(rows, size=batch_size, writer=writer, ahead=check_ahead):
        result = write_batch(batch, writer=writer, dry_run=dry_run, read_first=read_first)
        # Re-running a load, or loading a refreshed report, sends mostly intents already
        # recorded: where the writer says reading them is cheaper than refusing them, once
        # most of a batch was already recorded, the next batch reads first. A first load
        # never pays for the read.
        read_first = writer.read_known_rows_first and (len(batch.rows) - result.created) * 2 > len(batch.rows)
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


def retire_learner(*, lms_user_id: int) -> RetirementResult:
    """
    Retire a learner: delete all they have in PIE, and refuse their intents from now on.

    The one deletion of intents (the model refuses every other), and an audited one: it
    logs what it removed, with the LMS user id as the only identifier. In one transaction:
    the learner's salted hash is kept (``retirement``), then their intents, their local
    user and their kept failed events are deleted. Retiring a learner again, or one PIE
    never knew, deletes nothing and succeeds.
    """
    with transaction.atomic():
        # Kept under the current salt (the first); the earlier ones are only checked.
        RetiredLearner.objects.get_or_create(lms_user_id_hash=retirement.learner_hashes(lms_user_id)[0])
        result = RetirementResult(
            intents=ProgramIntent.objects.filter(lms_user_id=lms_user_id)._delete_for_retirement(),
            # The user model maps the LMS id (pie.apps.core's User).
            users=get_user_model().objects.filter(lms_user_id=lms_user_id).delete()[0],
            failed_events=FailedEvent.objects.filter(lms_user_id=lms_user_id).delete()[0],
        )
    log.info(
        "Retired learner lms_user_id=%s: deleted %d intents, %d local users, %d failed events",
        lms_user_id,
        result.intents,
        result.users,
        result.failed_events,
    )
    return result
