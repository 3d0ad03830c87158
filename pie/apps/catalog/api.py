"""
The catalog's public face: the one module of the catalog that other apps import (its models
are its own), as credentials' ``catalog/api.py`` is.

It answers which runs count for which programs (``counted_runs``), whether a key is a
course run that can count (``is_countable_run_key``, the one run-key rule of every door),
and what runs and courses a set of programs has (``run_keys_and_courses``): the catalog
knows no learner, its callers map those to theirs. The
catalog's write (``replace_catalog`` of ``ListedProgram``\\ s) is here for the demo's program;
``copy_catalog`` is the catalog's own door to it. A copy that changes programs sends
``signals.catalog_changed``.
"""

from pie.apps.catalog.discovery import ListedProgram
from pie.apps.catalog.run_keys import (
    MAX_RUN_KEY_LENGTH,
    RUN_KEY_RULE,
    course_key_of_run,
    is_countable_run_key,
)
from pie.apps.catalog.selectors import CountedRuns, catalog_is_empty, counted_runs, run_keys_and_courses
from pie.apps.catalog.services import replace_catalog
from pie.apps.catalog.signals import catalog_changed

__all__ = [
    "MAX_RUN_KEY_LENGTH",
    "RUN_KEY_RULE",
    "CountedRuns",
    "ListedProgram",
    "catalog_changed",
    "catalog_is_empty",
    "counted_runs",
    "course_key_of_run",
    "is_countable_run_key",
    "replace_catalog",
    "run_keys_and_courses",
]
