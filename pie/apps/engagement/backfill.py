"""
Backfills of course facts from the warehouse: enrollments and course passes that happened
before PIE listened, read from CSV rows by the intake's load command (``intents.intake``)
and kept as facts in batches (``iter_backfill``); then every learner they touched is
evaluated, ``services.EVALUATION_BATCH`` at a time (``evaluate_backfilled``).

A row's facts are the states it holds at their source times. An enrollments row's state
(active or not) holds as of its ``modified``, else as of the export's time (the load's
``--as-of``), which an inactive row without ``modified`` needs; an active row is also active
from its ``created``. A pass is a passing state at ``passed_at``. No time is the load's own
clock, so a file loaded again changes nothing and records nothing, and an old snapshot never
hides a newer state. A row dated beyond the clock skew is rejected (``validation``), as a
retired learner's rows are, as every writer's are (ADR 17).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections

from pie.apps.catalog.api import RUN_KEY_RULE, CountedRuns, counted_runs, course_key_of_run, is_countable_run_key
from pie.apps.core import retirement
from pie.apps.core.exceptions import LearnerRetiredError
from pie.apps.core.iterables import batches
from pie.apps.core.lms import LMS_USER_ID_RULE, parse_lms_user_id
from pie.apps.core.sql import insert_ignoring
from pie.apps.core.transactions import serialised
from pie.apps.engagement import services
from pie.apps.engagement.exceptions import InvalidFactError
from pie.apps.engagement.models import CourseFact, FactKind, LearnerLock
from pie.apps.engagement.validation import IN_THE_FUTURE
from pie.apps.intents.validation import TimestampOutOfRangeError, parse_timestamp
from pie.apps.intents.writing.batches import BatchRefused, RecordIntentsResult, RejectedRow

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
_NEEDS_AS_OF = "Required for an inactive row, unless the load gives --as-of (when the export was taken)."


def enrollment_facts(row: Mapping, *, as_of: datetime | None, latest: datetime) -> tuple["Fact", ...]:
    """
    The facts of an enrollments row: its state as of ``modified``, else ``as_of`` (the
    export's time; an inactive row needs one or the other), and, for an active row, active
    from ``created`` (one fact when that is the same time, or later). ``InvalidFactError``
    names each field at fault, a time after ``latest`` (``validation.latest_fact_time``) among them.
    """
    errors: dict[str, str] = {}
    learner, run_key = _learner(row, errors), _run_key(row, errors)
    active = str(row.get("is_active", "")).strip().casefold()
    if active not in _TRUE | _FALSE:
        errors["is_active"] = "Not true or false (1, 0, true, false)."
    mode = str(row.get("mode", "")).strip()
    if len(mode) > 100:
        errors["mode"] = "Longer than 100 characters."
    created = _time(row, "created", errors, latest=latest)
    modified = _time(row, "modified", errors, latest=latest) if str(row.get("modified") or "").strip() else None
    is_active = active in _TRUE
    held_at = modified or as_of
    if held_at is None and active in _FALSE and "modified" not in errors:
        errors["modified"] = _NEEDS_AS_OF
    if errors:
        raise InvalidFactError(errors)
    fact = Fact(
        lms_user_id=learner, run_key=run_key, kind=FactKind.ENROLLMENT, time=held_at, active=is_active, mode=mode
    )
    if not is_active:
        return (fact,)
    from_created = fact._replace(time=created)
    return (from_created, fact) if held_at is not None and held_at > created else (from_created,)


def pass_fact(row: Mapping, *, latest: datetime) -> "Fact":
    """
    The fact of a course-passes row (passing as of ``passed_at``); ``InvalidFactError``
    naming each field, a time after ``latest`` among them.
    """
    errors: dict[str, str] = {}
    learner, run_key = _learner(row, errors), _run_key(row, errors)
    passed_at = _time(row, "passed_at", errors, latest=latest)
    if errors:
        raise InvalidFactError(errors)
    return Fact(lms_user_id=learner, run_key=run_key, kind=FactKind.PASSING, time=passed_at, active=True, mode="")


def iter_backfill(
    rows: Iterable[Mapping],
    *,
    facts_of: Callable[[Mapping], tuple["Fact", ...]],
    touched: set[int],
    batch_size: int = BATCH_SIZE,
    dry_run: bool = False,
    keep: Callable[[RecordIntentsResult, list[Mapping]], bool] | None = None,
) -> Iterator[RecordIntentsResult]:
    """
    Keep the facts of ``rows`` (``facts_of`` makes a row's), ``batch_size`` rows a
    transaction, yielding what each batch did, in the intake's terms: its rows, ``inserted``
    new facts, ``duplicates`` facts already kept, ``rejected`` rows (in the order of their lines). The learners of the
    facts kept, new or not, are added to ``touched``, for ``evaluate_backfilled``. ``keep``,
    if given, sees what a batch did and its rows before it is committed: False rolls it back
    and raises ``BatchRefused``. With ``dry_run``, nothing is written: the facts already kept
    and the retired learners are read.
    """
    for batch in batches(rows, batch_size):
        facts, sources, rejected = [], [], []
        for row in batch:
            try:
                made = facts_of(row)
            except InvalidFactError as refused:
                rejected.append(RejectedRow(row=row, errors=refused.errors))
                continue
            facts.extend(made)
            sources.extend([row] * len(made))
        result, kept = (_dry_run if dry_run else _keep)(facts, sources, rejected, batch=batch, keep=keep)
        if not dry_run:
            touched.update(fact.lms_user_id for fact in kept)
        yield result


def evaluate_backfilled(touched: set[int]) -> int:
    """Evaluate the learners a backfill touched, ``EVALUATION_BATCH`` at a time; return the intents recorded."""
    return services.evaluate_in_batches(
        touched, catalog_of=RememberedCatalog(), what="evaluating a backfill's learners"
    )


def _keep(facts: list["Fact"], sources: list[Mapping], rejected: list[RejectedRow], *, batch, keep):
    """Insert a batch's new facts in one transaction, refusing a retired learner's rows (ADR 17)."""
    while True:

        def write(facts: list["Fact"] = facts, rejected: list[RejectedRow] = rejected) -> RecordIntentsResult:
            inserted = _insert(facts) if facts else 0
            result = _result(inserted, facts, rejected, rows=len(batch))
            if keep is not None and not keep(result, batch):
                raise BatchRefused(result)
            return result

        try:
            return serialised(write, what="keeping a batch of course facts"), facts
        except _Retired as found:
            # Rolled back: written again without the retired learners, whose rows are rejected.
            facts, sources, rejected = _without_retired(facts, sources, rejected, found.retired)


def _dry_run(facts: list["Fact"], sources: list[Mapping], rejected: list[RejectedRow], *, batch, keep):
    """What ``_keep`` would do, by reading: the batch's retired learners, and its facts already kept."""
    learners = {fact.lms_user_id for fact in facts}
    retired = retirement.retired_among_hashes(retirement.hashes_of_learners(learners)) if learners else set()
    facts, sources, rejected = _without_retired(facts, sources, rejected, retired)
    kept = set(
        CourseFact.objects.filter(lms_user_id__in={fact.lms_user_id for fact in facts}).values_list(
            "lms_user_id", "run_key", "kind", "time", "active"
        )
    )
    new = {fact[:5] for fact in facts} - kept
    return _result(len(new), facts, rejected, rows=len(batch)), facts


def _insert(facts: list["Fact"]) -> int:
    """Insert ``facts`` (those not kept yet), then read their learners' hashes with a lock; return how many were new."""
    learners = {fact.lms_user_id for fact in facts}
    db = connections[DEFAULT_DB_ALIAS]
    insert_ignoring(db, LearnerLock, ("lms_user_id",), [(learner,) for learner in learners])
    adapt = db.ops.adapt_datetimefield_value
    inserted = insert_ignoring(
        db,
        CourseFact,
        (*Fact._fields, "course_key"),
        [(*fact[:3], adapt(fact.time), *fact[4:], course_key_of_run(fact.run_key)) for fact in facts],
    )
    retired = retirement.retired_among_hashes(retirement.hashes_of_learners(learners), lock=True)
    if retired:
        raise _Retired(retired)
    return inserted


def _without_retired(facts, sources, rejected, retired: set[int]):
    if not retired:
        return facts, sources, rejected
    errors = LearnerRetiredError().errors
    pairs = list(zip(facts, sources, strict=True))
    # A row of two facts is one row rejected.
    rows = {row["line"]: row for fact, row in pairs if fact.lms_user_id in retired}
    rejected = rejected + [RejectedRow(row=row, errors=errors) for row in rows.values()]
    kept = [(fact, row) for fact, row in pairs if fact.lms_user_id not in retired]
    return [fact for fact, _ in kept], [row for _, row in kept], rejected


@dataclass(slots=True)
class BackfillResult(RecordIntentsResult):
    """What a batch did: ``inserted`` and ``duplicates`` count facts, and a row may hold two; ``rows`` counts rows."""

    read: int = 0

    @property
    def rows(self) -> int:
        return self.read


def _result(inserted: int, facts: list["Fact"], rejected: list[RejectedRow], *, rows: int) -> BackfillResult:
    # The report merges them with the reader's malformed records by line.
    ordered = sorted(rejected, key=lambda rejected_row: rejected_row.row["line"])
    return BackfillResult(inserted=inserted, duplicates=len(facts) - inserted, rejected=ordered, read=rows)


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
        self._composed_at: dict = {}

    def __call__(self, run_keys: set[str]) -> CountedRuns:
        new = run_keys - self._read
        if new:
            answer = counted_runs(new)
            self._read |= new
            self._courses.update(answer.courses)
            for key, runs in answer.runs.items():
                self._runs[key] = self._runs.get(key, frozenset()) | runs
            self._programs_of_run.update(answer.programs_of_run)
            self._composed_at.update(answer.composed_at)
        return CountedRuns(
            courses=self._courses,
            runs=self._runs,
            programs_of_run=self._programs_of_run,
            composed_at=self._composed_at,
        )


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


NOT_A_TIMESTAMP = "Not a timestamp (ISO 8601, or 2022-07-01 00:00:00 Z)."


def _time(row: Mapping, name: str, errors: dict, *, latest: datetime) -> datetime | None:
    try:
        time = parse_timestamp(str(row.get(name) or ""))
    except TimestampOutOfRangeError as error:
        errors[name] = error.message
    except ValueError:
        errors[name] = NOT_A_TIMESTAMP
    else:
        if time <= latest:
            return time
        errors[name] = IN_THE_FUTURE
    return None
