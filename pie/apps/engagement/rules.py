"""
The engagement rules, as a function of a learner's course facts and the catalog.

A rule is complete for a program when every course of the program has a counted run in
the rule's state (an active enrollment; a pass). It was completed, by the facts' own times,
at the latest over the program's courses of the earliest time one of that course's counted
runs entered the state: so the answer does not depend on the order the facts arrived in.
A program with no course never counts.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

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


def run_states(facts: Iterable, kind: str) -> dict[str, datetime]:
    """
    Each run whose newest state of ``kind`` is active (enrolled; passing), with the time it
    became so: the first active state after the last inactive one, in the states' own time order.
    """
    since: dict[str, datetime | None] = {}
    for fact in sorted((fact for fact in facts if fact.kind == kind), key=lambda fact: fact.time):
        if not fact.active:
            since[fact.run_key] = None
        elif since.get(fact.run_key) is None:
            since[fact.run_key] = fact.time
    return {run: time for run, time in since.items() if time is not None}


def completions(facts: Iterable, catalog: CountedRuns) -> dict[tuple[uuid.UUID, IntentReason], datetime | None]:
    """
    For each program that one of the learner's runs counts for, and each rule: when the rule
    was completed (None if it is not). ``facts`` are one learner's ``CourseFact`` states.
    """
    facts = list(facts)
    # The programs any of the learner's runs count for, whatever the runs' states: a rule
    # that breaks is answered too.
    empty: frozenset = frozenset()
    programs = set().union(*(catalog.programs_of_run.get(fact.run_key, empty) for fact in facts))
    answers = {}
    for rule in RULES:
        since_of_run = run_states(facts, rule.kind)
        for program in programs:
            course_keys = catalog.courses[program]
            earliest = []
            for course_key in course_keys:
                times = [
                    since_of_run[run] for run in catalog.runs.get((program, course_key), ()) if run in since_of_run
                ]
                if not times:
                    break
                earliest.append(min(times))
            answers[(program, rule.reason)] = max(earliest) if len(earliest) == len(course_keys) else None
    return answers


def certainty_of(reason: IntentReason) -> IntentCertainty:
    return next(rule.certainty for rule in RULES if rule.reason == reason)
