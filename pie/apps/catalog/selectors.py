"""
Which programs count a course run: the catalog's read rules (``api`` is their public face).

A run counts for the programs that list it. A run that no program of the catalog lists
(one published after the last copy) belongs to the course its key names (``org+course``),
and counts for every program of that course. Only a key that ``run_keys`` says can count
does (no CCX or library key). Only programs of ``COUNTED_STATUSES`` count (ADR 22).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pie.apps.catalog.models import COUNTED_STATUSES, Program, ProgramCourse, ProgramRun
from pie.apps.catalog.run_keys import course_key_of_run


@dataclass(frozen=True)
class CountedRuns:
    """
    What the catalog says of a set of runs: the programs that count any of them, each with
    all of its courses, and which of the runs count for which (program, course).
    """

    # Program -> all of its course keys (a program with no course is not here).
    courses: dict[uuid.UUID, frozenset[str]]
    # (program, course key) -> the runs of the set that count for it.
    runs: dict[tuple[uuid.UUID, str], frozenset[str]]
    # Run -> the programs it counts for.
    programs_of_run: dict[str, frozenset[uuid.UUID]]
    # Program -> when a copy last changed its courses or runs (None: as first seen).
    composed_at: dict[uuid.UUID, datetime | None] = field(default_factory=dict)


def counted_runs(run_keys: Iterable[str]) -> CountedRuns:
    """
    Which programs count each of ``run_keys`` (the module's rule), with those programs' whole
    course lists: three queries at most, whatever the number of runs.
    """
    run_keys = set(run_keys)
    listed = list(
        ProgramRun.objects.filter(run_key__in=run_keys).values_list(
            "run_key", "course__program__uuid", "course__course_key", "course__program__status"
        )
    )
    counts: dict[tuple[uuid.UUID, str], set[str]] = {}
    # Exact keys only (a backend whose collation ignores case would match more).
    listed = [row for row in listed if row[0] in run_keys]
    for run_key, program, course_key, status in listed:
        if status in COUNTED_STATUSES and course_key_of_run(run_key) is not None:
            counts.setdefault((program, course_key), set()).add(run_key)
    unlisted_of_course: dict[str, set[str]] = {}
    for run_key in run_keys - {run_key for run_key, *_ in listed}:
        course_key = course_key_of_run(run_key)
        if course_key is not None:
            unlisted_of_course.setdefault(course_key, set()).add(run_key)
    if unlisted_of_course:
        for program, course_key in ProgramCourse.objects.filter(
            course_key__in=unlisted_of_course, program__status__in=COUNTED_STATUSES
        ).values_list("program__uuid", "course_key"):
            counts.setdefault((program, course_key), set()).update(unlisted_of_course[course_key])
    programs = {program for program, _ in counts}
    courses: dict[uuid.UUID, set[str]] = {}
    composed_at: dict[uuid.UUID, datetime | None] = {}
    if programs:
        for program, course_key, composed in ProgramCourse.objects.filter(program__uuid__in=programs).values_list(
            "program__uuid", "course_key", "program__composition_changed_at"
        ):
            courses.setdefault(program, set()).add(course_key)
            composed_at[program] = composed
    programs_of_run: dict[str, set[uuid.UUID]] = {}
    for (program, _), runs in counts.items():
        for run_key in runs:
            programs_of_run.setdefault(run_key, set()).add(program)
    return CountedRuns(
        courses={program: frozenset(keys) for program, keys in courses.items()},
        runs={key: frozenset(runs) for key, runs in counts.items()},
        programs_of_run={run_key: frozenset(programs) for run_key, programs in programs_of_run.items()},
        composed_at=composed_at,
    )


def run_keys_and_courses(program_uuids: Iterable[uuid.UUID]) -> tuple[frozenset[str], frozenset[str]]:
    """
    The run keys the programs list and their course keys, whatever their status (one query):
    a run of one of the programs is listed, or belongs to one of its courses (``course_key_of_run``).
    """
    runs, courses = set(), set()
    for course_key, run_key in ProgramCourse.objects.filter(program__uuid__in=list(program_uuids)).values_list(
        "course_key", "runs__run_key"
    ):
        courses.add(course_key)
        if run_key is not None:
            runs.add(run_key)
    return frozenset(runs), frozenset(courses)


def catalog_is_empty() -> bool:
    """Whether no program has been copied yet (``copy_catalog`` never ran): one indexed query."""
    return not Program.objects.exists()
