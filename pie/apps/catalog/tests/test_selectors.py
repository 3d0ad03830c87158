"""Which programs count a course run (``selectors.programs_counting_run``)."""

import uuid
from datetime import UTC, datetime

import pytest

from pie.apps.catalog.discovery import ListedProgram
from pie.apps.catalog.selectors import course_key_of_run, programs_counting_run
from pie.apps.catalog.services import replace_catalog

DATA, DESIGN, OLD, DRAFT = (uuid.UUID(int=n, version=4) for n in (1, 2, 3, 4))


@pytest.fixture
def catalog():
    def listed(program_uuid, status, courses):
        return ListedProgram(
            uuid=program_uuid,
            title=str(program_uuid),
            status=status,
            courses={key: frozenset(runs) for key, runs in courses.items()},
        )

    replace_catalog(
        [
            listed(DATA, "active", {"edX+A": ["course-v1:edX+A+1T2025", "course-v1:edX+A+2T2025"], "edX+B": []}),
            # Design leaves A's first run out.
            listed(DESIGN, "active", {"edX+A": ["course-v1:edX+A+2T2025"]}),
            listed(OLD, "retired", {"edX+B": ["course-v1:edX+B+1T2020"]}),
            listed(DRAFT, "unpublished", {"edX+B": ["course-v1:edX+B+1T2020"]}),
        ],
        delete=False,
        copied_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("catalog")
class TestProgramsCountingRun:
    def test_a_listed_run_counts_for_the_programs_that_list_it(self):
        assert programs_counting_run("course-v1:edX+A+2T2025") == {DATA: "edX+A", DESIGN: "edX+A"}

    def test_a_run_a_program_leaves_out_does_not_count_for_it(self):
        assert programs_counting_run("course-v1:edX+A+1T2025") == {DATA: "edX+A"}

    def test_a_run_no_program_lists_counts_for_every_program_of_its_course(self):
        assert programs_counting_run("course-v1:edX+A+3T2026") == {DATA: "edX+A", DESIGN: "edX+A"}
        assert programs_counting_run("course-v1:edX+B+9T2030") == {DATA: "edX+B", OLD: "edX+B"}

    def test_only_active_and_retired_programs_count(self):
        assert programs_counting_run("course-v1:edX+B+1T2020") == {OLD: "edX+B"}

    @pytest.mark.parametrize(
        "run_key", ["ccx-v1:edX+A+2T2025+ccx@3", "course-v1:edX+Z+1T2025", "not a key", "", "edX+A"]
    )
    def test_a_ccx_run_an_unknown_course_or_a_key_of_another_kind_counts_for_none(self, run_key):
        assert programs_counting_run(run_key) == {}

    def test_a_run_is_two_queries_at_most(self, django_assert_max_num_queries):
        with django_assert_max_num_queries(2):
            programs_counting_run("course-v1:edX+A+3T2026")


@pytest.mark.parametrize(
    ("run_key", "course_key"),
    [
        ("course-v1:edX+DemoX+1T2025", "edX+DemoX"),
        ("edX/DemoX/2014_T1", "edX+DemoX"),  # a deprecated (slash) key names its course too
        ("ccx-v1:edX+DemoX+1T2025+ccx@3", None),
        ("library-v1:edX+Lib", None),
        ("course-v1:edX+DemoX", None),
    ],
)
def test_the_course_a_run_key_names(run_key, course_key):
    assert course_key_of_run(run_key) == course_key
