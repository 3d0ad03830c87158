"""Course facts become ENROLLED_ALL_COURSES and ALL_COURSES_COMPLETE intents (``engagement.services``)."""

import random
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pie.apps.catalog.api import ListedProgram, replace_catalog
from pie.apps.core import retirement
from pie.apps.core.exceptions import LearnerRetiredError
from pie.apps.engagement import services
from pie.apps.engagement.models import CourseFact, LearnerLock, ProgramReevaluation
from pie.apps.intents import services as intents
from pie.apps.intents.models import ProgramIntent

DATA, DESIGN = uuid.UUID(int=1, version=4), uuid.UUID(int=2, version=4)
T0 = datetime(2026, 3, 1, tzinfo=UTC)
A1, A2, B1, C1 = (f"course-v1:edX+{c}+{r}T2026" for c, r in (("A", 1), ("A", 2), ("B", 1), ("C", 1)))
LEARNER = 70


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def catalog(programs: dict[uuid.UUID, dict[str, list[str]]]) -> None:
    replace_catalog(
        [
            ListedProgram(uuid=p, title=str(p), status="active", courses={c: frozenset(r) for c, r in courses.items()})
            for p, courses in programs.items()
        ],
        delete=True,
        copied_at=T0,
    )


def enroll(run: str, minutes: int, *, active: bool = True, learner: int = LEARNER, mode: str = "verified"):
    return services.record_enrollment(lms_user_id=learner, run_key=run, is_active=active, mode=mode, at=at(minutes))


def intents_of(learner: int = LEARNER) -> list[tuple]:
    return sorted(
        ProgramIntent.objects.filter(lms_user_id=learner).values_list(
            "program_uuid", "reason", "certainty", "effective_timestamp"
        )
    )


@pytest.fixture
def data_program(db):
    # Data: courses A (both runs) and B; Design: course A, its second run only.
    catalog({DATA: {"edX+A": [A1, A2], "edX+B": [B1]}, DESIGN: {"edX+A": [A2]}})


@pytest.mark.usefixtures("data_program")
class TestEnrolledAllCourses:
    def test_covering_every_course_records_a_maybe_at_the_time_coverage_completed(self):
        assert enroll(A1, 10).recorded == []
        outcome = enroll(B1, 20)
        assert [values["reason"] for values in outcome.recorded] == ["ENROLLED_ALL_COURSES"]
        assert intents_of() == [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(20))]

    def test_the_lms_pair_changed_then_created_records_once(self):
        enroll(A1, 10)
        assert enroll(B1, 20).changed
        # CHANGED then CREATED, with the same metadata.time: the second changes nothing.
        assert enroll(B1, 20).changed is False
        assert len(intents_of()) == 1

    def test_a_second_run_or_a_mode_change_of_a_covered_course_records_nothing(self):
        enroll(A1, 10)
        enroll(B1, 20)
        enroll(A2, 30)  # Design is covered by it: its own intent
        enroll(B1, 40, mode="audit")
        assert intents_of() == [
            (DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(20)),
            (DESIGN, "ENROLLED_ALL_COURSES", "MAYBE", at(30)),
        ]

    def test_a_run_the_program_leaves_out_does_not_cover_it(self):
        enroll(A1, 10)  # Design counts only A2
        assert not [row for row in intents_of() if row[0] == DESIGN]

    def test_unenrolling_records_nothing_and_coming_back_is_a_new_intent(self):
        enroll(A1, 10)
        enroll(B1, 20)
        enroll(B1, 30, active=False)
        assert len(intents_of()) == 1
        enroll(B1, 50)
        assert intents_of() == [
            (DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(20)),
            (DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(50)),
        ]

    def test_a_completion_shown_by_facts_in_the_wrong_order_is_recorded(self):
        # The unenrollment's topic is read first: the facts still show A and B from 20 to 30.
        enroll(A1, 10)
        enroll(B1, 30, active=False)
        assert enroll(B1, 20).changed
        assert intents_of() == [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(20))]

    def test_a_backfill_older_than_a_live_event_adds_the_completion_its_facts_reveal(self):
        enroll(A1, 10)
        enroll(B1, 20)
        enroll(B1, 5)  # a file row created before the live event: B was held from 5
        # The intent recorded stays (it was a belief); the earlier completion is added.
        assert intents_of() == [
            (DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(10)),
            (DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(20)),
        ]
        enroll(B1, 6)  # more of the same history: nothing new
        assert len(intents_of()) == 2

    def test_a_run_unknown_to_the_catalog_counts_for_its_course(self):
        enroll("course-v1:edX+A+3T2027", 10)  # published after the copy: counts for A in both programs
        enroll(B1, 20)
        assert intents_of() == [
            (DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(20)),
            (DESIGN, "ENROLLED_ALL_COURSES", "MAYBE", at(10)),
        ]

    def test_a_ccx_run_never_counts(self):
        enroll("ccx-v1:edX+A+1T2026+ccx@4", 10)
        enroll(B1, 20)
        assert intents_of() == []

    def test_the_effective_time_is_the_facts_whatever_their_order(self):
        enroll(B1, 20)
        enroll(A2, 15)
        enroll(A1, 5)  # A was already covered at 15; with A1 it was covered at 5: B at 20 completes it
        assert (DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(20)) in intents_of()


@pytest.mark.usefixtures("data_program")
class TestAllCoursesComplete:
    def test_passing_every_course_records_a_certain_yes(self):
        services.record_course_passing(lms_user_id=LEARNER, run_key=A2, is_passing=True, at=at(100))
        services.record_course_passing(lms_user_id=LEARNER, run_key=B1, is_passing=True, at=at(200))
        assert intents_of() == [
            (DATA, "ALL_COURSES_COMPLETE", "CERTAIN_YES", at(200)),
            (DESIGN, "ALL_COURSES_COMPLETE", "CERTAIN_YES", at(100)),
        ]

    def test_a_pass_lost_and_regained_completes_again(self):
        services.record_course_passing(lms_user_id=LEARNER, run_key=A2, is_passing=True, at=at(100))
        services.record_course_passing(lms_user_id=LEARNER, run_key=A2, is_passing=False, at=at(110))
        services.record_course_passing(lms_user_id=LEARNER, run_key=A2, is_passing=True, at=at(120))
        design = [row for row in intents_of() if row[0] == DESIGN]
        assert [row[3] for row in design] == [at(100), at(120)]


@pytest.mark.django_db
def test_a_program_with_no_course_never_counts():
    catalog({DATA: {}})
    enroll(A1, 10)
    assert intents_of() == []


@pytest.mark.usefixtures("data_program")
def test_evaluating_a_learner_is_a_fixed_number_of_queries(django_assert_max_num_queries):
    for n, run in enumerate([A1, "course-v1:edX+A+9T2030", "course-v1:edX+Z+1T2026"]):
        enroll(run, n)
    with django_assert_max_num_queries(6):
        services.evaluate_learner(LEARNER)


@pytest.mark.usefixtures("data_program")
class TestRetiredLearners:
    def test_a_retired_learners_fact_is_refused_and_nothing_is_kept(self):
        intents.retire_learner(lms_user_id=LEARNER)
        with pytest.raises(LearnerRetiredError):
            enroll(A1, 10)
        assert not CourseFact.objects.filter(lms_user_id=LEARNER).exists()

    def test_retirement_deletes_the_learners_facts_and_lock(self):
        enroll(A1, 10)
        enroll(B1, 20)
        enroll(A1, 10, learner=LEARNER + 1)
        intents.retire_learner(lms_user_id=LEARNER)
        for model in (CourseFact, LearnerLock):
            assert not model.objects.filter(lms_user_id=LEARNER).exists()
        assert CourseFact.objects.filter(lms_user_id=LEARNER + 1).exists()


# An independent oracle, over a history in time order: the states of one minute together, active winning.
def counts(programs: dict, program, course: str, run: str) -> bool:
    listed = {run for courses in programs.values() for runs in courses.values() for run in runs}
    if run.startswith("ccx-v1:"):
        return False
    if run in listed:
        return run in programs[program][course]
    return run.split(":")[1].rsplit("+", 1)[0] == course


def covered(programs: dict, program, active_runs: set[str]) -> bool:
    courses = programs[program]
    return bool(courses) and all(any(counts(programs, program, c, run) for run in active_runs) for c in courses)


def oracle(programs: dict, events: list[tuple]) -> set[tuple]:
    """Each (program, minute) at which coverage went from incomplete to complete."""
    active: set[str] = set()
    completions, complete = set(), dict.fromkeys(programs, False)
    for minute in sorted({minute for minute, _, _ in events}):
        states: dict[str, bool] = {}
        for _, run, is_active in (event for event in events if event[0] == minute):
            states[run] = states.get(run, False) or is_active
        for run, is_active in states.items():
            (active.add if is_active else active.discard)(run)
        for program in programs:
            now = covered(programs, program, active)
            if now and not complete[program]:
                completions.add((program, minute))
            complete[program] = now
    return completions


RUNS = [A1, A2, B1, C1, "course-v1:edX+B+7T2027", "ccx-v1:edX+C+1T2026+ccx@2"]
PROGRAMS = {DATA: {"edX+A": [A1, A2], "edX+B": [B1]}, DESIGN: {"edX+A": [A2], "edX+C": [C1]}}


def told(learner: int) -> set[tuple]:
    return set(ProgramIntent.objects.filter(lms_user_id=learner).values_list("program_uuid", "effective_timestamp"))


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # Several states may share a minute, and one run may be active and inactive at one minute.
    events=st.lists(st.tuples(st.integers(0, 30), st.sampled_from(RUNS), st.booleans()), min_size=1, max_size=14),
    seed=st.integers(0, 2**16),
)
def test_every_completion_is_recorded_whatever_the_arrival_order(events, seed):
    catalog(PROGRAMS)
    events = list(dict.fromkeys(events))  # a state kept twice is one fact
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    completions = {(program, at(minute)) for program, minute in oracle(PROGRAMS, events)}
    for learner, arrival in ((1, sorted(events)), (2, shuffled)):
        for count, (minute, run, is_active) in enumerate(arrival, start=1):
            before = told(learner)
            enroll(run, minute, active=is_active, learner=learner)
            # Every intent recorded was a completion of the facts known when it was recorded.
            known = {(program, at(minute)) for program, minute in oracle(PROGRAMS, arrival[:count])}
            assert told(learner) - before <= known
        # Every completion of the whole history is recorded, whatever the order.
        assert told(learner) >= completions
    if len({minute for minute, _, _ in events}) == len(events):
        assert told(1) == completions  # one state a minute, in time order: exactly the completions
    for learner in (1, 2):
        intents.retire_learner(lms_user_id=learner)
    from pie.apps.core.models import RetiredLearner

    RetiredLearner.objects.all().delete()


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_two_writers_at_once_never_both_miss_a_completion():
    """Two consumers store the two facts that complete a program at the same moment: one of them records it."""
    catalog({DATA: {"edX+A": [A1, A2], "edX+B": [B1]}})
    for trial in range(15):
        learner = 5000 + trial
        barrier = threading.Barrier(2)

        def write(run: str, minute: int, learner: int = learner, barrier=barrier) -> None:
            try:
                barrier.wait(timeout=30)
                enroll(run, minute, learner=learner)
            finally:
                connection.close()

        threads = [threading.Thread(target=write, args=args) for args in ((A1, 10), (B1, 11))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert intents_of(learner) == [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(11))]


@pytest.mark.django_db
class TestCatalogChanges:
    """
    A copy that changes a program queues it, and its learners are re-evaluated once the copy
    commits: a completion that exists only because of the change is dated at the copy.
    """

    @pytest.fixture(autouse=True)
    def commits(self, django_capture_on_commit_callbacks):
        self.on_commit = django_capture_on_commit_callbacks

    def copy(self, courses: dict, minutes: int) -> None:
        with self.on_commit(execute=True):
            self._copy(courses, minutes)
        assert not ProgramReevaluation.objects.exists()  # drained

    def _copy(self, courses: dict, minutes: int) -> None:
        replace_catalog(
            [
                ListedProgram(
                    uuid=DATA, title="Data", status="active", courses={c: frozenset(r) for c, r in courses.items()}
                )
            ],
            delete=True,
            copied_at=at(minutes),
        )

    def test_a_course_removed_completes_the_learners_who_had_the_others(self):
        self.copy({"edX+A": [A1], "edX+B": [B1], "edX+C": [C1]}, 0)
        enroll(A1, 10)
        enroll(B1, 20)
        enroll(A1, 15, learner=LEARNER + 1)  # only A: not complete either way
        assert intents_of() == []
        self.copy({"edX+A": [A1], "edX+B": [B1]}, 100)
        assert intents_of() == [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(100))]
        assert intents_of(LEARNER + 1) == []

    def test_a_course_added_breaks_coverage_and_records_nothing(self):
        self.copy({"edX+A": [A1]}, 0)
        enroll(A1, 10)
        enroll(C1, 12, learner=LEARNER + 1)
        enroll(A1, 11, learner=LEARNER + 1)
        self.copy({"edX+A": [A1], "edX+C": [C1]}, 100)
        assert intents_of() == [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(10))]
        # The other learner covered the new course already: complete before, complete now, nothing new.
        assert intents_of(LEARNER + 1) == [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(11))]

    def test_a_copy_that_changes_nothing_records_nothing(self, django_assert_max_num_queries):
        self.copy({"edX+A": [A1], "edX+B": [B1]}, 0)
        enroll(A1, 10)
        with django_assert_max_num_queries(6) as context:  # the catalog read, no write, no evaluation
            self._copy({"edX+A": [A1], "edX+B": [B1]}, 100)
        assert not [query for query in context.captured_queries if "engagement_" in query["sql"]]
        assert intents_of() == []

    def test_a_program_added_finds_its_learners_by_listed_runs_and_by_their_courses_keys(self):
        # A program first seen dates its completions by the facts (a backfill loaded before the copy).
        # A listed run of another course's key, an unlisted course-v1 run, a deprecated slash key.
        other_course_run = "course-v1:edX+Renamed+1T2026"
        enroll(other_course_run, 10)
        enroll("course-v1:edX+B+7T2026", 11)
        enroll("edX/C/2014_T1", 12)
        enroll("edX/C/2014_T1", 13, learner=LEARNER + 1)
        enroll("course-v1:edX+Cx+1T2026", 14, learner=LEARNER + 1)  # not a run of edX+C
        self.copy({"edX+A": [other_course_run], "edX+B": [B1], "edX+C": [C1]}, 100)
        assert intents_of() == [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(12))]
        assert intents_of(LEARNER + 1) == []

    def test_a_drain_that_stopped_resumes_after_the_last_learner_done(self, monkeypatch):
        self.copy({"edX+A": [A1]}, 0)
        for learner in (1, 2, 3):
            enroll(A1, 10, learner=learner)
        ProgramIntent.objects.all()._delete_for_retirement()  # as if an earlier rule had missed them
        monkeypatch.setattr(services, "EVALUATION_BATCH", 1)
        self._copy({"edX+A": [A1, A2]}, 100)  # committed, not drained: the queue holds the program
        ProgramReevaluation.objects.update(through_learner=1)  # learner 1 done before a crash
        assert services.drain_reevaluations() == 2
        assert [intents_of(learner) for learner in (1, 2, 3)] == [
            [],
            [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(100))],
            [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(100))],
        ]
        assert not ProgramReevaluation.objects.exists()

    def test_a_title_alone_queues_no_one(self):
        self.copy({"edX+A": [A1]}, 0)
        enroll(A1, 10)
        with self.on_commit() as callbacks:
            replace_catalog(
                [ListedProgram(uuid=DATA, title="Renamed", status="active", courses={"edX+A": frozenset([A1])})],
                delete=True,
                copied_at=at(100),
            )
        assert not callbacks
        assert not ProgramReevaluation.objects.exists()


@pytest.mark.usefixtures("data_program")
def test_a_learners_fact_write_is_a_fixed_number_of_queries(django_assert_num_queries):
    # A new learner's first fact (its lock row made), then the fact that completes a program.
    # The same numbers on SQLite and MySQL/MariaDB. No state is read or written: a fact that
    # completes nothing reads the facts and the catalog; one that completes reads the intents
    # recorded, then records one.
    with django_assert_num_queries(13):
        enroll(A1, 10)
    with django_assert_num_queries(15):
        enroll(B1, 20)
    assert intents_of() == [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(20))]


@pytest.mark.usefixtures("data_program")
def test_the_upgrade_records_what_an_earlier_rule_missed_and_resumes(capsys, monkeypatch):
    for learner in (1, 2, 3):
        enroll(A1, 10, learner=learner)
        enroll(B1, 20, learner=learner)
    ProgramIntent.objects.all()._delete_for_retirement()  # what ADR 23's rule could lose
    monkeypatch.setattr(services, "EVALUATION_BATCH", 2)
    call_command("reevaluate_engagement", "--all", "--after", "1")
    out = capsys.readouterr().out.splitlines()
    assert out == ["Evaluated the learners through 3", "Recorded 2 intents."]
    assert [len(intents_of(learner)) for learner in (1, 2, 3)] == [0, 1, 1]
    call_command("reevaluate_engagement", "--all")
    assert capsys.readouterr().out.splitlines()[-1] == "Recorded 1 intent."
    assert [intents_of(learner) for learner in (1, 2, 3)] == [[(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(20))]] * 3


@pytest.mark.usefixtures("data_program")
def test_a_run_key_in_another_letter_case_is_another_key_and_crashes_nothing():
    # MariaDB's default collation matched these to the catalog's A1 and B1; Python's dicts did not.
    other_case_a, other_case_b = A1.replace("edX+A", "EDX+a"), B1.upper().replace("COURSE-V1:", "course-v1:")
    enroll(other_case_a, 10)
    enroll(other_case_b, 20)
    enroll(A1, 10)
    enroll(A1.upper().replace("COURSE-V1:", "course-v1:"), 10)  # a third key: another fact, not a duplicate
    assert CourseFact.objects.filter(lms_user_id=LEARNER).count() == 4
    assert services.evaluate_learner(LEARNER) == []
    assert intents_of() == []  # the catalog counts A1 and B1 exactly: B is not covered
    enroll(B1, 30)
    assert intents_of() == [(DATA, "ENROLLED_ALL_COURSES", "MAYBE", at(30))]


@pytest.mark.usefixtures("data_program")
def test_a_learner_retired_during_an_evaluation_is_skipped_and_the_others_recorded():
    # Retirement keeps the learner's hash first and deletes their data in a second transaction:
    # an evaluation between the two finds the facts, and the intents' writer refuses the learner.
    for learner in (LEARNER, LEARNER + 1):
        enroll(A1, 10, learner=learner)
        enroll(B1, 20, learner=learner)
    ProgramIntent.objects.all()._delete_for_retirement()
    retirement.mark_retired(LEARNER)
    recorded = services.evaluate_learners([LEARNER, LEARNER + 1])
    assert [values["lms_user_id"] for values in recorded] == [LEARNER + 1]
    assert intents_of() == []
