"""
Which programs count a course run: the catalog's read rule.

A run counts for the programs that list it. A run that no program of the catalog lists
(one published after the last copy) belongs to the course its key names (``org+course``),
and counts for every program of that course. A CCX run (``ccx-v1:``) never counts, nor a
key that is not a course run's. Only programs of ``COUNTED_STATUSES`` count (ADR 22).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from pie.apps.catalog.models import COUNTED_STATUSES, ProgramCourse, ProgramRun


def course_key_of_run(run_key: str) -> str | None:
    """The course key (``org+course``) a run key names; None for a CCX key or one that is not a run's."""
    try:
        key = CourseKey.from_string(run_key)
    except (InvalidKeyError, TypeError):
        return None
    if getattr(key, "CANONICAL_NAMESPACE", None) != "course-v1":
        return None  # a CCX run (ccx-v1:) or another kind of key
    return f"{key.org}+{key.course}"


def programs_counting_run(run_key: str) -> dict[uuid.UUID, str]:
    """The programs that count ``run_key``, each with its course's key (two queries at most)."""
    course_key = course_key_of_run(run_key)
    if course_key is None:
        return {}
    listing = ProgramRun.objects.filter(run_key=run_key).values_list(
        "course__program__uuid", "course__course_key", "course__program__status"
    )
    listed = list(listing)
    if listed:
        return {program: course for program, course, status in listed if status in COUNTED_STATUSES}
    return dict(
        ProgramCourse.objects.filter(course_key=course_key, program__status__in=COUNTED_STATUSES).values_list(
            "program__uuid", "course_key"
        )
    )


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


def counted_runs(run_keys: Iterable[str]) -> CountedRuns:
    """``programs_counting_run`` for many runs at once, with the programs' whole course lists (three queries)."""
    run_keys = set(run_keys)
    listed = list(
        ProgramRun.objects.filter(run_key__in=run_keys).values_list(
            "run_key", "course__program__uuid", "course__course_key", "course__program__status"
        )
    )
    counts: dict[tuple[uuid.UUID, str], set[str]] = {}
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
    if programs:
        for program, course_key in ProgramCourse.objects.filter(program__uuid__in=programs).values_list(
            "program__uuid", "course_key"
        ):
            courses.setdefault(program, set()).add(course_key)
    programs_of_run: dict[str, set[uuid.UUID]] = {}
    for (program, _), runs in counts.items():
        for run_key in runs:
            programs_of_run.setdefault(run_key, set()).add(program)
    return CountedRuns(
        courses={program: frozenset(keys) for program, keys in courses.items()},
        runs={key: frozenset(runs) for key, runs in counts.items()},
        programs_of_run={run_key: frozenset(programs) for run_key, programs in programs_of_run.items()},
    )
