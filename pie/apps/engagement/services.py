"""
The write path of course facts: a fact (a state as of its source time) is kept, then its
learner is evaluated against the engagement rules, under one per-learner lock, in one transaction.

An evaluation walks the learner's facts (``rules.completions``) and records, through the
intents' service layer, every completion not yet recorded (ADR 26): the intents' unique key
is the record of what was recorded, so nothing else is kept. As every writer does (ADR
0017), the fact is written first, then the learner's retirement hash is read with a lock: a
retired learner's fact is rolled back and refused.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from pie.apps.catalog import api as catalog
from pie.apps.catalog.api import CountedRuns
from pie.apps.core import retirement
from pie.apps.core.exceptions import LearnerRetiredError
from pie.apps.core.iterables import batches
from pie.apps.core.transactions import serialised
from pie.apps.engagement import rules
from pie.apps.engagement.models import CourseFact, FactKind, LearnerLock, ProgramReevaluation
from pie.apps.engagement.validation import check_fact_time
from pie.apps.intents import selectors as intent_selectors
from pie.apps.intents import services as intents

log = logging.getLogger(__name__)


@dataclass
class FactOutcome:
    """What a fact did: whether it changed what PIE knows, and the intents it recorded (new ones)."""

    changed: bool
    recorded: list[dict] = field(default_factory=list)


def record_enrollment(*, lms_user_id: int, run_key: str, is_active: bool, mode: str, at: datetime) -> FactOutcome:
    """
    Keep that the learner's enrollment in ``run_key`` was in this state as of ``at`` (its
    source time), then evaluate the learner. A state already kept (a redelivery, the LMS's
    ``CHANGED`` then ``CREATED`` pair) changes nothing. Raises ``LearnerRetiredError`` for a
    retired learner, and for a time beyond the clock skew ``NotDueYetError`` (within
    ``PIE_FACT_MAX_FUTURE_SECONDS``) or ``InvalidFactError`` (``validation.check_fact_time``).
    """
    return _record_fact(
        lms_user_id=lms_user_id, run_key=run_key, kind=FactKind.ENROLLMENT, at=at, active=is_active, mode=mode or ""
    )


def record_course_passing(*, lms_user_id: int, run_key: str, is_passing: bool, at: datetime) -> FactOutcome:
    """The learner passes ``run_key`` (or no longer does) as of ``at``; as ``record_enrollment`` for the rest."""
    return _record_fact(lms_user_id=lms_user_id, run_key=run_key, kind=FactKind.PASSING, at=at, active=is_passing)


def forget_learner(lms_user_id: int) -> int:
    """Delete what engagement keeps of a retired learner (``core.signals.learner_retired``); return the rows."""
    deleted = 0
    for model in (CourseFact, LearnerLock):
        deleted += model.objects.filter(lms_user_id=lms_user_id).delete()[0]
    if deleted:
        log.info("Retired learner lms_user_id=%s: deleted %d course facts and lock rows", lms_user_id, deleted)
    return deleted


def _record_fact(
    *, lms_user_id: int, run_key: str, kind: str, at: datetime, active: bool, mode: str = ""
) -> FactOutcome:
    check_fact_time(at, now=timezone.now())
    fact = CourseFact(
        lms_user_id=lms_user_id,
        run_key=run_key,
        course_key=catalog.course_key_of_run(run_key) or "",
        kind=kind,
        time=at,
        active=active,
        mode=mode,
    )

    def write() -> FactOutcome:
        # The learner's lock row is made by their first fact (a backfill makes its learners' in bulk).
        LearnerLock.objects.get_or_create(lms_user_id=fact.lms_user_id)
        lock_learners([fact.lms_user_id])
        key = {name: getattr(fact, name) for name in ("lms_user_id", "run_key", "kind", "time", "active")}
        if CourseFact.objects.filter(**key).exists():
            return FactOutcome(changed=False)
        fact.save(force_insert=True)
        if retirement.is_retired(fact.lms_user_id, lock=True):
            raise LearnerRetiredError()
        return FactOutcome(changed=True, recorded=evaluate_learner(fact.lms_user_id))

    return serialised(write, what="recording a course fact")


def lock_learners(lms_user_ids: list[int]) -> None:
    """
    Hold the learners' lock rows (``LearnerLock``, made by a learner's first fact) to the end
    of the transaction, in one read: whoever writes a learner's facts or evaluates them
    takes it, so two writers never evaluate one learner at once.
    """
    list(LearnerLock.objects.select_for_update().filter(lms_user_id__in=lms_user_ids).values_list("pk"))


def evaluate_learner(lms_user_id: int) -> list[dict]:
    """
    Apply the rules to the learner's facts; record an intent for each completion not yet
    recorded; return those intents' values. Call it under the learner's lock.
    """
    return evaluate_learners([lms_user_id])


def evaluate_learners(
    lms_user_ids: list[int], *, catalog_of: Callable[[set[str]], CountedRuns] = catalog.counted_runs
) -> list[dict]:
    """
    ``evaluate_learner`` for many learners at once, in a fixed number of reads whatever their
    number, programs or facts (the facts, the catalog's ``counted_runs``, the intents already
    recorded), and one write per intent recorded. ``catalog_of`` answers ``counted_runs`` for
    their facts' runs (a backfill's remembers what it read). A completion before its
    program's composition last changed is dated at that change (ADR 26), unless it was
    recorded at its own time already. A learner retired meanwhile is skipped. Call it under
    their locks.
    """
    facts_of: dict[int, list] = {}
    # Named tuples, not model instances: a batch reads thousands of facts.
    read = CourseFact.objects.filter(lms_user_id__in=lms_user_ids).values_list(*rules.FACT_FIELDS, named=True)
    for fact in read:
        facts_of.setdefault(fact.lms_user_id, []).append(fact)
    counted = catalog_of({fact.run_key for facts in facts_of.values() for fact in facts})
    found = {
        (lms_user_id, program, reason): times
        for lms_user_id, facts in facts_of.items()
        for (program, reason), times in rules.completions(facts, counted).items()
        if times
    }
    if not found:
        return []
    told: dict[tuple, list[datetime]] = {}
    for key in intent_selectors.recorded_keys(
        lms_user_ids={learner for learner, _, _ in found},
        program_uuids={program for _, program, _ in found},
        reasons=rules.REASONS,
    ):
        told.setdefault((key.lms_user_id, key.program_uuid, key.reason, key.certainty), []).append(
            key.effective_timestamp
        )
    recorded, retired = [], set()
    for (lms_user_id, program, reason), times in found.items():
        if lms_user_id in retired:
            continue
        certainty = rules.certainty_of(reason)
        before = sorted(told.get((lms_user_id, program, reason, certainty), ()))
        for effective in _effective_times(times, composed_at=counted.composed_at.get(program), told=before):
            values = {
                "lms_user_id": lms_user_id,
                "program_uuid": program,
                "reason": reason,
                "certainty": certainty,
                "effective_timestamp": effective,
            }
            try:
                is_new = intents.record_intent(**values)[1]
            except LearnerRetiredError:
                log.info("Skipped the completions of learner lms_user_id=%s: retired meanwhile", lms_user_id)
                retired.add(lms_user_id)
                break
            if is_new:
                recorded.append(values)
    return recorded


def _effective_times(times: list[datetime], *, composed_at: datetime | None, told: list[datetime]) -> list[datetime]:
    """
    The intents still to record for one learner, program and rule: its completions ``times``
    (in order), but those already ``told`` (recorded). A completion before the program's
    composition last changed (``composed_at``) exists only because of that change unless an
    intent was recorded between the previous completion and the change: it is dated at the
    change (ADR 26).
    """
    due = []
    for index, time in enumerate(times):
        if composed_at is None or time >= composed_at:
            effective = time
        else:
            previous = times[index - 1] if index else None
            if any((previous is None or previous < when) and when <= composed_at for when in told):
                continue
            effective = composed_at
        if effective not in told and effective not in due:
            due.append(effective)
    return due


# Learners per evaluation batch (a backfill's, a catalog change's, the upgrade's).
EVALUATION_BATCH = 1000


def queue_reevaluation(program_uuids: Iterable, *, copied_at: datetime) -> None:
    """
    Queue the programs a catalog copy added or changed for re-evaluation, in the copy's
    transaction (so a crash loses no work), and drain the queue once that transaction commits.
    """
    for program_uuid in program_uuids:
        ProgramReevaluation.objects.update_or_create(
            program_uuid=program_uuid, defaults={"queued_at": copied_at, "through_learner": 0}
        )
    transaction.on_commit(drain_reevaluations)


def drain_reevaluations() -> int:
    """
    Re-evaluate the learners of every queued program (``queue_reevaluation``), in learner
    order, ``EVALUATION_BATCH`` at a time: each batch, with its program's resume mark, in a
    transaction of its own, so a drain that stops resumes where it stopped. Each program
    leaves the queue when its learners are done. Return the intents recorded.
    """
    recorded = 0
    for queued in ProgramReevaluation.objects.order_by("id"):
        course_keys = _course_keys_of(queued.program_uuid)
        while True:
            learners = list(
                CourseFact.objects.filter(course_key__in=course_keys, lms_user_id__gt=queued.through_learner)
                .order_by("lms_user_id")
                .values_list("lms_user_id", flat=True)
                .distinct()[:EVALUATION_BATCH]
            )
            if not learners:
                break

            def evaluate(learners: list[int] = learners, mark=(queued.pk, queued.queued_at)) -> int:
                lock_learners(learners)
                count = len(evaluate_learners(learners))
                # A copy that queued the program again meanwhile starts it over: its mark stays.
                ProgramReevaluation.objects.filter(pk=mark[0], queued_at=mark[1]).update(through_learner=learners[-1])
                return count

            recorded += serialised(evaluate, what="re-evaluating the learners of a changed program")
            queued.through_learner = learners[-1]
        ProgramReevaluation.objects.filter(pk=queued.pk, queued_at=queued.queued_at).delete()
    if recorded:
        log.info("Catalog change: %d intents recorded", recorded)
    return recorded


def reevaluate_every_learner(*, after: int = 0, done: Callable[[int], None] = lambda learner: None) -> int:
    """
    Evaluate every learner with facts whose LMS user id is above ``after``, in order,
    ``EVALUATION_BATCH`` at a time (the upgrade to ADR 26: completions an earlier rule missed
    are recorded); ``done`` is told the last learner of each batch, from which a run that
    stopped resumes. Return the intents recorded.
    """
    recorded = 0
    while True:
        learners = list(
            LearnerLock.objects.filter(lms_user_id__gt=after)
            .order_by("lms_user_id")
            .values_list("lms_user_id", flat=True)[:EVALUATION_BATCH]
        )
        if not learners:
            return recorded
        recorded += evaluate_in_batches(learners, what="re-evaluating every learner")
        after = learners[-1]
        done(after)


def evaluate_in_batches(
    lms_user_ids: Iterable[int],
    *,
    what: str,
    catalog_of: Callable[[set[str]], CountedRuns] = catalog.counted_runs,
) -> int:
    """
    ``evaluate_learners`` for the learners, in order, ``EVALUATION_BATCH`` at a time: each
    batch in a transaction of its own (``serialised``, ``what`` naming it) under its
    learners' locks (``lock_learners``). Return the intents recorded.
    """
    recorded = 0
    for batch in batches(sorted(set(lms_user_ids)), EVALUATION_BATCH):

        def evaluate(batch: list[int] = batch) -> int:
            lock_learners(batch)
            return len(evaluate_learners(batch, catalog_of=catalog_of))

        recorded += serialised(evaluate, what=what)
    return recorded


def _course_keys_of(program_uuid) -> set[str]:
    """The course keys whose facts may count for the program: its courses', and its listed runs'."""
    listed, course_keys = catalog.run_keys_and_courses([program_uuid])
    return set(course_keys) | {catalog.course_key_of_run(run) for run in listed} - {None}
