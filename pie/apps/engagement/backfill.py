"""
Backfills of course facts from the warehouse: enrollments and course passes that happened
before PIE listened, read from CSV rows (``intents.intake``) and kept as facts in batches;
then every learner they touched is evaluated, ``services.EVALUATION_BATCH`` at a time.

A row's fact is the state it holds at its source time: an active enrollment at ``created``
(when it became active), an inactive one at ``modified`` (else the load's time); a pass at
``passed_at``. A fact already kept is not kept twice, so a file loaded again changes nothing
and records nothing. A retired learner's rows are rejected, as every writer's are (ADR 17).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections

from pie.apps.catalog.api import RUN_KEY_RULE, CountedRuns, counted_runs, is_countable_run_key
from pie.apps.core import retirement
from pie.apps.core.iterables import batches
from pie.apps.core.lms import LMS_USER_ID_RULE, parse_lms_user_id
from pie.apps.core.sql import insert_ignoring
from pie.apps.core.transactions import serialised
from pie.apps.engagement import services
from pie.apps.engagement.models import CourseFact, FactKind, LearnerLock
from pie.apps.intents.exceptions import LearnerRetiredError
from pie.apps.intents.validation import parse_timestamp

# Warehouse column -> row field, for csv_rows.
ENROLLMENT_COLUMNS = {
    "user_id": "lms_user_id",
    "course_id": "run_key",
    "mode": "mode",
    "is_active": "is_active",
    "created": "created",
    "modified": "modified",
}
ENROLLMENT_OPTIONAL = frozenset({"modified"})
PASS_COLUMNS = {"user_id": "lms_user_id", "course_id": "run_key", "passed_at": "passed_at"}

BATCH_SIZE = 10_000


class Fact(NamedTuple):
    """A row's fact, in ``CourseFact``'s fields (a tuple: a file's million rows make no model instances)."""

    lms_user_id: int
    run_key: str
    kind: str
    time: datetime
    active: bool
    mode: str


_TRUE, _FALSE = {"1", "true", "t", "yes", "y"}, {"0", "false", "f", "no", "n"}


class RowRefused(ValueError):
    """A row that makes no fact: ``errors`` maps each field at fault to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


@dataclass
class BackfillResult:
    """What a backfill did: rows read, facts new, rows rejected (row, errors), learners evaluated, intents recorded."""

    rows: int = 0
    new_facts: int = 0
    rejected: list[tuple[Mapping, dict[str, str]]] = field(default_factory=list)
    learners: int = 0
    intents: int = 0


def enrollment_fact(row: Mapping, *, loaded_at: datetime) -> "Fact":
    """The fact of an enrollments row; ``RowRefused`` naming each field at fault."""
    errors: dict[str, str] = {}
    learner, run_key = _learner(row, errors), _run_key(row, errors)
    active = str(row.get("is_active", "")).strip().casefold()
    if active not in _TRUE | _FALSE:
        errors["is_active"] = "Not true or false (1, 0, true, false)."
    mode = str(row.get("mode", "")).strip()
    if len(mode) > 100:
        errors["mode"] = "Longer than 100 characters."
    created = _time(row, "created", errors)
    modified = _time(row, "modified", errors) if str(row.get("modified", "")).strip() else None
    if errors:
        raise RowRefused(errors)
    is_active = active in _TRUE
    time = created if is_active else (modified or loaded_at)
    return Fact(lms_user_id=learner, run_key=run_key, kind=FactKind.ENROLLMENT, time=time, active=is_active, mode=mode)


def pass_fact(row: Mapping) -> "Fact":
    """The fact of a course-passes row (passing as of ``passed_at``); ``RowRefused`` naming each field at fault."""
    errors: dict[str, str] = {}
    learner, run_key, passed_at = _learner(row, errors), _run_key(row, errors), _time(row, "passed_at", errors)
    if errors:
        raise RowRefused(errors)
    return Fact(lms_user_id=learner, run_key=run_key, kind=FactKind.PASSING, time=passed_at, active=True, mode="")


def backfill(rows: Iterable[Mapping], *, fact_of: Callable[[Mapping], "Fact"]) -> BackfillResult:
    """Keep the facts of ``rows`` (``fact_of`` makes each), a batch a transaction; then evaluate their learners."""
    result, touched = BackfillResult(), set()
    for batch in batches(rows, BATCH_SIZE):
        result.rows += len(batch)
        facts, sources = [], []
        for row in batch:
            try:
                facts.append(fact_of(row))
                sources.append(row)
            except RowRefused as refused:
                result.rejected.append((row, refused.errors))
        kept = _keep(facts, sources, result)
        touched.update(fact.lms_user_id for fact in kept)
    result.intents = services.evaluate_in_batches(
        touched, catalog_of=RememberedCatalog(), what="evaluating the learners of a backfill"
    )
    result.learners = len(touched)
    return result


def _keep(facts: list["Fact"], sources: list[Mapping], result: BackfillResult) -> list["Fact"]:
    """Insert a batch's new facts in one transaction, refusing a retired learner's rows (ADR 17)."""
    while facts:
        try:
            result.new_facts += serialised(lambda facts=facts: _insert(facts), what="keeping a batch of course facts")
            return facts
        except _Retired as found:
            # Rolled back: written again without the retired learners, whose rows are rejected.
            errors = LearnerRetiredError().errors
            pairs = list(zip(facts, sources, strict=True))
            result.rejected.extend((row, errors) for fact, row in pairs if fact.lms_user_id in found.retired)
            kept = [(fact, row) for fact, row in pairs if fact.lms_user_id not in found.retired]
            facts, sources = [fact for fact, _ in kept], [row for _, row in kept]
    return facts


def _insert(facts: list["Fact"]) -> int:
    """Insert ``facts`` (those not kept yet), then read their learners' hashes with a lock; return how many were new."""
    learners = {fact.lms_user_id for fact in facts}
    db = connections[DEFAULT_DB_ALIAS]
    insert_ignoring(db, LearnerLock, ("lms_user_id",), [(learner,) for learner in learners])
    adapt = db.ops.adapt_datetimefield_value
    inserted = insert_ignoring(
        db, CourseFact, Fact._fields, [(*fact[:3], adapt(fact.time), *fact[4:]) for fact in facts]
    )
    retired = retirement.retired_among_hashes(retirement.hashes_of_learners(learners), lock=True)
    if retired:
        raise _Retired(retired)
    return inserted


class RememberedCatalog:
    """
    ``counted_runs`` for a backfill's evaluation batches: each run is read from the catalog
    once (a file names a few thousand runs over its thousands of learners), the answers merged.
    """

    def __init__(self):
        self._read: set[str] = set()
        self._courses: dict = {}
        self._runs: dict = {}
        self._programs_of_run: dict = {}

    def __call__(self, run_keys: set[str]) -> CountedRuns:
        new = run_keys - self._read
        if new:
            answer = counted_runs(new)
            self._read |= new
            self._courses.update(answer.courses)
            for key, runs in answer.runs.items():
                self._runs[key] = self._runs.get(key, frozenset()) | runs
            self._programs_of_run.update(answer.programs_of_run)
        return CountedRuns(courses=self._courses, runs=self._runs, programs_of_run=self._programs_of_run)


class _Retired(Exception):
    def __init__(self, retired: set[int]):
        self.retired = retired


def _learner(row: Mapping, errors: dict) -> int | None:
    try:
        return parse_lms_user_id(row.get("lms_user_id"))
    except ValueError:
        errors["lms_user_id"] = LMS_USER_ID_RULE
        return None


def _run_key(row: Mapping, errors: dict) -> str | None:
    run_key = str(row.get("run_key", "")).strip()
    if not is_countable_run_key(run_key):
        errors["run_key"] = RUN_KEY_RULE
        return None
    return run_key


def _time(row: Mapping, name: str, errors: dict) -> datetime | None:
    try:
        return parse_timestamp(str(row.get(name, "")))
    except ValueError:
        errors[name] = "Not a timestamp (ISO 8601, or 2022-07-01 00:00:00 Z)."
        return None
