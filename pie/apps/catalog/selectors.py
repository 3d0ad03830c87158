"""
Which programs count a course run: the catalog's read rule.

A run counts for the programs that list it. A run that no program of the catalog lists
(one published after the last copy) belongs to the course its key names (``org+course``),
and counts for every program of that course. A CCX run (``ccx-v1:``) never counts, nor a
key that is not a course run's. Only programs of ``COUNTED_STATUSES`` count (ADR 22).
"""

import uuid

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
