"""The one run-key rule of every door (``run_keys``), as a table."""

import pytest

from pie.apps.catalog.run_keys import course_key_of_run, is_countable_run_key


@pytest.mark.parametrize(
    ("run_key", "course_key"),
    [
        ("course-v1:edX+DemoX+1T2025", "edX+DemoX"),
        ("course-v1:edX+DemoX+Demo_Course", "edX+DemoX"),
        ("edX/DemoX/2014_T1", "edX+DemoX"),  # a deprecated slash key: old enrollments carry them
        ("course-v1:edX+" + "x" * 239 + "+1", "edX+" + "x" * 239),  # 255 characters
        ("course-v1:edX+" + "x" * 240 + "+1", None),  # 256
        ("ccx-v1:edX+DemoX+1T2025+ccx@3", None),  # a CCX run never counts
        ("library-v1:edX+Lib", None),
        ("course-v1:edX+DemoX", None),
        ("edX+DemoX", None),
        (" course-v1:edX+DemoX+1T2025", None),
        ("COURSE-V1:edX+DemoX+1T2025", None),
        ("block-v1:edX+DemoX+1T2025+type@course+block@course", None),
        ("not a key", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_the_rule(run_key, course_key):
    assert course_key_of_run(run_key) == course_key
    assert is_countable_run_key(run_key) is (course_key is not None)
