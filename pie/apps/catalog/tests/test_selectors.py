"""Which programs count course runs (``selectors.counted_runs``), and the runs and courses of programs."""

import uuid
from datetime import UTC, datetime

import pytest

from pie.apps.catalog.discovery import ListedProgram
from pie.apps.catalog.selectors import CountedRuns, counted_runs, run_keys_and_courses
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


def programs_counting(run_key: str) -> dict[uuid.UUID, str]:
    """What ``counted_runs`` says of one run: each program that counts it, with the course it counts for."""
    answer = counted_runs([run_key])
    return {program: course for (program, course), runs in answer.runs.items() if run_key in runs}


@pytest.mark.django_db
@pytest.mark.usefixtures("catalog")
class TestCountedRuns:
    def test_a_listed_run_counts_for_the_programs_that_list_it(self):
        assert programs_counting("course-v1:edX+A+2T2025") == {DATA: "edX+A", DESIGN: "edX+A"}

    def test_a_run_a_program_leaves_out_does_not_count_for_it(self):
        assert programs_counting("course-v1:edX+A+1T2025") == {DATA: "edX+A"}

    def test_a_run_no_program_lists_counts_for_every_program_of_its_course(self):
        assert programs_counting("course-v1:edX+A+3T2026") == {DATA: "edX+A", DESIGN: "edX+A"}
        assert programs_counting("course-v1:edX+B+9T2030") == {DATA: "edX+B", OLD: "edX+B"}

    def test_a_deprecated_slash_key_counts_for_the_programs_of_its_course(self):
        assert programs_counting("edX/B/2014_T1") == {DATA: "edX+B", OLD: "edX+B"}

    def test_only_active_and_retired_programs_count(self):
        assert programs_counting("course-v1:edX+B+1T2020") == {OLD: "edX+B"}

    @pytest.mark.parametrize(
        "run_key", ["ccx-v1:edX+A+2T2025+ccx@3", "library-v1:edX+A", "course-v1:edX+Z+1T2025", "not a key", "", "edX+A"]
    )
    def test_a_ccx_run_an_unknown_course_or_a_key_of_another_kind_counts_for_none(self, run_key):
        assert counted_runs([run_key]) == CountedRuns(courses={}, runs={}, programs_of_run={})

    def test_the_answer_carries_the_programs_whole_course_lists(self):
        answer = counted_runs(["course-v1:edX+A+1T2025", "course-v1:edX+B+1T2020"])
        assert answer.courses == {DATA: {"edX+A", "edX+B"}, OLD: {"edX+B"}}
        assert answer.programs_of_run == {"course-v1:edX+A+1T2025": {DATA}, "course-v1:edX+B+1T2020": {OLD}}

    def test_many_runs_are_three_queries_at_most(self, django_assert_max_num_queries):
        runs = [f"course-v1:edX+{course}+{n}T2026" for course in "AB" for n in range(50)] + ["course-v1:edX+A+2T2025"]
        with django_assert_max_num_queries(3):
            counted_runs(runs)


@pytest.mark.django_db
@pytest.mark.usefixtures("catalog")
def test_the_runs_and_courses_of_programs_whatever_their_status(django_assert_num_queries):
    with django_assert_num_queries(1):
        runs, courses = run_keys_and_courses([DATA, DRAFT])
    assert runs == {"course-v1:edX+A+1T2025", "course-v1:edX+A+2T2025", "course-v1:edX+B+1T2020"}
    assert courses == {"edX+A", "edX+B"}
    assert run_keys_and_courses([uuid.UUID(int=99, version=4)]) == (frozenset(), frozenset())
