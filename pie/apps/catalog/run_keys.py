"""
The one rule of which keys are course runs that can count for a program, applied at every
door (the bus's events, the backfills' rows, the catalog copy) and by the catalog's reads.

A key counts if edx-opaque-keys reads it as a course run (a ``CourseLocator``): a
``course-v1:org+course+run`` key, or a deprecated slash key ``org/course/run`` (old
enrollments carry them). A CCX key (``ccx-v1:``, a ``CourseLocator`` of its own kind) or a
library key (``library-v1:``) never counts, nor a key longer than ``MAX_RUN_KEY_LENGTH``.
"""

from functools import lru_cache

from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

# The catalog's and the course facts' run key column.
MAX_RUN_KEY_LENGTH = 255

RUN_KEY_RULE = (
    "Not a course run key that can count (course-v1:org+course+run, or org/course/run; "
    f"no CCX or library key; at most {MAX_RUN_KEY_LENGTH} characters)."
)


def course_key_of_run(run_key) -> str | None:
    """The course key (``org+course``) of a run key that counts; None for any other key or value."""
    if type(run_key) is not str or not 0 < len(run_key) <= MAX_RUN_KEY_LENGTH:
        return None
    return _course_key_of_run(run_key)


def is_countable_run_key(run_key) -> bool:
    """Whether ``run_key`` is a course run's key that can count for a program (the module's rule)."""
    return course_key_of_run(run_key) is not None


# A file or a stream names a few thousand runs over and over: each is parsed once.
@lru_cache(maxsize=100_000)
def _course_key_of_run(run_key: str) -> str | None:
    try:
        key = CourseKey.from_string(run_key)
    except InvalidKeyError:
        return None
    # CCXLocator derives from CourseLocator: the exact type is the rule.
    if type(key) is not CourseLocator:
        return None
    return f"{key.org}+{key.course}"
