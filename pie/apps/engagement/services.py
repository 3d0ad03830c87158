"""
The write path of course facts: a fact (a state as of its source time) is kept, then its
learner is evaluated against the engagement rules, under one per-learner lock, in one transaction.

A rule that goes from incomplete to complete records its intent through the intents'
service layer (``record_intent``); one that stays complete, or breaks, records nothing.
As every writer does (ADR 0017), the fact is written first, then the learner's retirement
hash is read with a lock: a retired learner's fact is rolled back and refused.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from pie.apps.catalog import api as catalog
from pie.apps.catalog.api import CountedRuns
from pie.apps.core import retirement
from pie.apps.core.exceptions import LearnerRetiredError
from pie.apps.core.iterables import batches
from pie.apps.core.transactions import serialised
from pie.apps.engagement import rules
from pie.apps.engagement.models import CourseFact, FactKind, LearnerLock, ProgramRuleState
from pie.apps.engagement.validation import check_fact_time
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
    retired learner.
    """
    check_fact_time(at, now=timezone.now())
    fact = CourseFact(
        lms_user_id=lms_user_id, run_key=run_key, kind=FactKind.ENROLLMENT, time=at, active=is_active, mode=mode or ""
    )
    return _record_fact(fact)


def record_course_passing(*, lms_user_id: int, run_key: str, is_passing: bool, at: datetime) -> FactOutcome:
    """The learner passes ``run_key`` (or no longer does) as of ``at``; as ``record_enrollment`` for the rest."""
    check_fact_time(at, now=timezone.now())
    fact = CourseFact(lms_user_id=lms_user_id, run_key=run_key, kind=FactKind.PASSING, time=at, active=is_passing)
    return _record_fact(fact)


def forget_learner(lms_user_id: int) -> int:
    """Delete what engagement keeps of a retired learner (``core.signals.learner_retired``); return the rows."""
    deleted = 0
    for model in (CourseFact, ProgramRuleState, LearnerLock):
        deleted += model.objects.filter(lms_user_id=lms_user_id).delete()[0]
    if deleted:
        log.info("Retired learner lms_user_id=%s: deleted %d course facts and rule states", lms_user_id, deleted)
    return deleted


def _record_fact(fact: CourseFact) -> FactOutcome:
    def write() -> FactOutcome:
        # The learner's lock row is made by their first fact (a backfill makes its learners' in bulk).
        LearnerLock.objects.get_or_create(lms_user_id=fact.lms_user_id)
        lock_learners([fact.lms_user_id])
        key = {"lms_user_id": fact.lms_user_id, "run_key": fact.run_key, "kind": fact.kind, "time": fact.time}
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
    Apply the rules to the learner's facts; record an intent for each rule that went from
    incomplete to complete; return those intents' values. Call it under the learner's lock.
    """
    return evaluate_learners([lms_user_id])


def evaluate_learners(
    lms_user_ids: list[int],
    *,
    completed_at: datetime | None = None,
    catalog_of: Callable[[set[str]], CountedRuns] = catalog.counted_runs,
) -> list[dict]:
    """
    ``evaluate_learner`` for many learners at once, in a fixed number of reads whatever
    their number, programs or facts (and one write per intent recorded, one for the rule
    states). ``completed_at``, if given, is the effective time of what completes now (a
    catalog change's: the copy completed it, not the facts). ``catalog_of`` answers
    ``counted_runs`` for their facts' runs (a backfill's remembers what it read). Call it
    under their locks.
    """
    facts_of: dict[int, list] = {}
    # Named tuples, not model instances: a batch reads thousands of facts.
    read = CourseFact.objects.filter(lms_user_id__in=lms_user_ids).values_list(*rules.FACT_FIELDS, named=True)
    for fact in read:
        facts_of.setdefault(fact.lms_user_id, []).append(fact)
    counted = catalog_of({fact.run_key for facts in facts_of.values() for fact in facts})
    states = {
        (state.lms_user_id, state.program_uuid, state.reason): state
        for state in ProgramRuleState.objects.filter(lms_user_id__in=facts_of, program_uuid__in=counted.courses)
    }
    recorded, changed_states = [], []
    for lms_user_id, facts in facts_of.items():
        for (program, reason), completed in rules.completions(facts, counted).items():
            state = states.get((lms_user_id, program, reason))
            was_complete = state is not None and state.complete
            if completed is not None and not was_complete:
                values = {
                    "lms_user_id": lms_user_id,
                    "program_uuid": program,
                    "reason": reason,
                    "certainty": rules.certainty_of(reason),
                    "effective_timestamp": completed_at or completed,
                }
                if intents.record_intent(**values)[1]:
                    recorded.append(values)
                state = state or ProgramRuleState(lms_user_id=lms_user_id, program_uuid=program, reason=reason)
                state.complete, state.completed_at = True, values["effective_timestamp"]
                changed_states.append(state)
            elif completed is None and was_complete:
                state.complete, state.completed_at = False, None
                changed_states.append(state)
    if changed_states:
        # MySQL's upsert takes no conflict target (ON DUPLICATE KEY UPDATE); SQLite's needs it.
        target = connection.features.supports_update_conflicts_with_target
        ProgramRuleState.objects.bulk_create(
            changed_states,
            update_conflicts=True,
            unique_fields=["lms_user_id", "program_uuid", "reason"] if target else None,
            update_fields=["complete", "completed_at"],
        )
    return recorded


# Learners per evaluation of a catalog change.
EVALUATION_BATCH = 1000


def reevaluate_programs(program_uuids: list, *, copied_at: datetime) -> int:
    """
    Evaluate every learner with a fact in a run that counts for one of ``program_uuids``
    (a catalog copy changed them), ``EVALUATION_BATCH`` learners at a time, each batch under
    its learners' locks; what completes is effective at ``copied_at``. Return the intents recorded.
    """
    recorded = evaluate_in_batches(
        _learners_of_programs(program_uuids),
        completed_at=copied_at,
        what="evaluating learners after a catalog change",
    )
    if recorded:
        log.info("Catalog change of %d programs: %d intents recorded", len(program_uuids), recorded)
    return recorded


def evaluate_in_batches(
    lms_user_ids: Iterable[int],
    *,
    what: str,
    completed_at: datetime | None = None,
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
            return len(evaluate_learners(batch, completed_at=completed_at, catalog_of=catalog_of))

        recorded += serialised(evaluate, what=what)
    return recorded


def _learners_of_programs(program_uuids: list) -> set[int]:
    """The learners with a fact in a run the programs list, or in any run of their courses (two reads)."""
    listed, course_keys = catalog.run_keys_and_courses(program_uuids)
    if not listed and not course_keys:
        return set()
    runs = Q(run_key__in=listed)
    for course_key in course_keys:
        for prefix in catalog.run_key_prefixes(course_key):
            runs |= Q(run_key__startswith=prefix)
    return set(CourseFact.objects.filter(runs).values_list("lms_user_id", flat=True).distinct())
