"""
The engagement rules, as a function of a learner's course facts and the catalog (ADR 26).

A rule covers a program at a time when every course of the program has a counted run in the
rule's state then (an active enrollment; a pass). Walking the learner's facts in their own
time order, each time coverage goes from incomplete to complete is a **completion**, at
that time. The states of one instant are applied together (a switch between two runs of a
course at one instant is no break), and at one instant a run's active state wins over an
inactive one, so the history is the same whatever order the facts arrived in. A program
with no course never counts.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import attrgetter

from pie.apps.catalog.api import CountedRuns
from pie.apps.engagement.models import FactKind
from pie.apps.intents.constants import IntentCertainty, IntentReason


@dataclass(frozen=True)
class Rule:
    reason: IntentReason
    certainty: IntentCertainty
    kind: FactKind


# What the rules read of a fact (``CourseFact``'s fields, or a named tuple of them).
FACT_FIELDS = ("lms_user_id", "run_key", "kind", "time", "active")

RULES = (
    Rule(reason=IntentReason.ENROLLED_ALL_COURSES, certainty=IntentCertainty.MAYBE, kind=FactKind.ENROLLMENT),
    Rule(reason=IntentReason.ALL_COURSES_COMPLETE, certainty=IntentCertainty.CERTAIN_YES, kind=FactKind.PASSING),
)
REASONS = tuple(rule.reason for rule in RULES)


def completions(facts: Iterable, catalog: CountedRuns) -> dict[tuple[uuid.UUID, IntentReason], list[datetime]]:
    """
    For each program one of the learner's runs counts for, and each rule: the times, in order,
    when the rule's coverage of the program went from incomplete to complete. ``facts`` are
    one learner's ``CourseFact`` states, in any order.
    """
    by_time = sorted(facts, key=attrgetter("time"))
    empty: frozenset = frozenset()
    programs = set().union(*(catalog.programs_of_run.get(fact.run_key, empty) for fact in by_time))
    answers = {}
    for rule in RULES:
        of_kind = [fact for fact in by_time if fact.kind == rule.kind]
        for program in programs:
            answers[(program, rule.reason)] = _completions_of(of_kind, program=program, catalog=catalog)
    return answers


def _completions_of(facts: list, *, program: uuid.UUID, catalog: CountedRuns) -> list[datetime]:
    """The times coverage of ``program`` by ``facts`` (of one kind, in time order) went from incomplete to complete."""
    course_of_run = {
        run: course for course in catalog.courses[program] for run in catalog.runs.get((program, course), ())
    }
    active_runs: dict[str, set[str]] = {course: set() for course in catalog.courses[program]}
    covered, times = False, []
    for time, states in groupby((fact for fact in facts if fact.run_key in course_of_run), key=attrgetter("time")):
        # The states of one instant together: a run is active if any of its states then is.
        now_active: dict[str, bool] = {}
        for fact in states:
            now_active[fact.run_key] = now_active.get(fact.run_key, False) or fact.active
        for run, active in now_active.items():
            (active_runs[course_of_run[run]].add if active else active_runs[course_of_run[run]].discard)(run)
        now_covered = all(active_runs.values())
        if now_covered and not covered:
            times.append(time)
        covered = now_covered
    return times


def certainty_of(reason: IntentReason) -> IntentCertainty:
    return next(rule.certainty for rule in RULES if rule.reason == reason)
