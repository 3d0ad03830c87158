"""``bulk_insert_enrollments`` and ``bulk_insert_course_passes``: warehouse rows become facts, then intents."""

import gzip
import io
import json
import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from pie.apps.catalog.api import ListedProgram, replace_catalog
from pie.apps.engagement import services
from pie.apps.engagement.models import CourseFact
from pie.apps.intents import services as intents
from pie.apps.intents.models import ProgramIntent

PROGRAM = uuid.UUID(int=11, version=4)
A, B = "course-v1:edX+A+1T2026", "course-v1:edX+B+1T2026"
ENROLLMENTS = "user_id,course_id,mode,is_active,created,modified\n"


@pytest.fixture(autouse=True)
def program(db):
    replace_catalog(
        [
            ListedProgram(
                uuid=PROGRAM, title="P", status="active", courses={"edX+A": frozenset({A}), "edX+B": frozenset({B})}
            )
        ],
        delete=False,
        copied_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def run(command: str, path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def intents_of(learner: int) -> list[tuple]:
    return sorted(
        ProgramIntent.objects.filter(lms_user_id=learner).values_list("reason", "certainty", "effective_timestamp")
    )


def test_enrollments_covering_a_program_record_its_maybe_once_however_often_loaded(tmp_path):
    path = tmp_path / "enrollments.csv.gz"
    path.write_bytes(
        gzip.compress(
            (
                ENROLLMENTS
                + f"5,{A},audit,1,2025-03-01 10:00:00 Z,2025-06-01 00:00:00 Z\n"
                + f"5,{B},verified,true,2025-04-02T08:00:00Z,\n"
                + f"6,{A},audit,1,2025-03-01 10:00:00 Z,\n"
                + f"6,{B},audit,0,2025-03-05 10:00:00 Z,2025-03-06 00:00:00 Z\n"  # unenrolled: not covered
            ).encode()
        )
    )
    out, _ = run("bulk_insert_enrollments", path)
    assert "read 4 rows in " in out
    # The first row is active from created and still at modified: two facts.
    assert out.strip().endswith("created 5, duplicates 0, rejected 0. Evaluated 2 learners, recorded 1 intent.")
    assert intents_of(5) == [("ENROLLED_ALL_COURSES", "MAYBE", datetime(2025, 4, 2, 8, tzinfo=UTC))]
    assert intents_of(6) == []
    out, _ = run("bulk_insert_enrollments", path)
    assert out.strip().endswith("created 0, duplicates 5, rejected 0. Evaluated 2 learners, recorded 0 intents.")
    assert ProgramIntent.objects.count() == 1


def test_a_bad_row_is_reported_by_line_and_the_good_rows_load(tmp_path):
    path = tmp_path / "enrollments.csv"
    path.write_text(
        ENROLLMENTS
        + f"7,{A},audit,1,2025-03-01,\n"
        + "7,not a run,audit,maybe,yesterday,\n"
        + "7,too,few\n"
        + f"7,{B},audit,1,2025-03-02,\n"
    )
    errors = tmp_path / "rejected.csv"
    with pytest.raises(CommandError) as raised:
        run("bulk_insert_enrollments", path, "--errors-file", errors)
    assert raised.value.returncode == 2
    assert CourseFact.objects.filter(lms_user_id=7).count() == 2
    assert len(intents_of(7)) == 1
    written = errors.read_text().splitlines()
    assert written[0] == "line_number,rejection_reason,user_id,course_id,mode,is_active,created,modified"
    assert written[1].startswith("3,\"course_id 'not a run': Not a course run key")
    assert "is_active 'maybe'" in written[1]
    assert "created 'yesterday'" in written[1]
    assert written[2] == '4,"expected 6 fields as in the header, found 3",7,too,few'


def test_a_time_beyond_utcs_range_is_refused_as_out_of_range(tmp_path):
    path = tmp_path / "passes.csv"
    path.write_text(f"user_id,course_id,passed_at\n8,{A},0001-01-01T00:00:00+05:00\n")
    errors = tmp_path / "rejected.csv"
    with pytest.raises(CommandError):
        run("bulk_insert_course_passes", path, "--errors-file", errors)
    assert not CourseFact.objects.exists()
    rejected = errors.read_text().splitlines()[1]
    assert rejected.startswith("2,passed_at '0001-01-01T00:00:00+05:00': Out of range: must be between 0001-01-01")


def test_passes_of_every_course_record_a_certain_yes(tmp_path):
    path = tmp_path / "passes.csv"
    path.write_text(f"user_id,course_id,passed_at\n8,{A},2025-05-01 00:00:00 Z\n8,{B},2025-06-01 00:00:00 Z\n")
    run("bulk_insert_course_passes", path)
    assert intents_of(8) == [("ALL_COURSES_COMPLETE", "CERTAIN_YES", datetime(2025, 6, 1, tzinfo=UTC))]


def test_a_retired_learners_rows_are_rejected(tmp_path):
    intents.retire_learner(lms_user_id=9)
    path = tmp_path / "enrollments.csv"
    path.write_text(ENROLLMENTS + f"9,{A},audit,1,2025-03-01,\n10,{A},audit,1,2025-03-01,\n")
    with pytest.raises(CommandError, match="1 row rejected"):
        run("bulk_insert_enrollments", path)
    assert not CourseFact.objects.filter(lms_user_id=9).exists()
    assert CourseFact.objects.filter(lms_user_id=10).exists()


def test_a_backfill_older_than_a_live_event_adds_the_completion_its_facts_reveal(tmp_path):
    services.record_enrollment(
        lms_user_id=12, run_key=A, is_active=True, mode="audit", at=datetime(2026, 2, 1, tzinfo=UTC)
    )
    services.record_enrollment(
        lms_user_id=12, run_key=B, is_active=True, mode="audit", at=datetime(2026, 2, 2, tzinfo=UTC)
    )
    path = tmp_path / "enrollments.csv"
    path.write_text(ENROLLMENTS + f"12,{B},audit,1,2025-01-01,\n")
    run("bulk_insert_enrollments", path)
    # B was held from 2025: coverage completed when A came, as the facts now show; the live intent stays.
    assert intents_of(12) == [
        ("ENROLLED_ALL_COURSES", "MAYBE", datetime(2026, 2, 1, tzinfo=UTC)),
        ("ENROLLED_ALL_COURSES", "MAYBE", datetime(2026, 2, 2, tzinfo=UTC)),
    ]
    run("bulk_insert_enrollments", path)  # the same file again: nothing new
    assert len(intents_of(12)) == 2


def test_the_queries_do_not_grow_with_the_learners(tmp_path, django_assert_max_num_queries):
    path = tmp_path / "enrollments.csv"
    path.write_text(ENROLLMENTS + "".join(f"{n},{A},audit,1,2025-03-01,\n" for n in range(100, 400)))
    with django_assert_max_num_queries(20):
        run("bulk_insert_enrollments", path)
    assert CourseFact.objects.count() == 300


@pytest.mark.parametrize(
    "run_key", ["ccx-v1:edX+A+1T2026+ccx@3", "library-v1:edX+A", "course-v1:edX+A+" + "x" * 240, "edX+A"]
)
def test_a_run_key_that_cannot_count_is_a_row_rejected_by_its_line(tmp_path, run_key):
    # The run-key rule of every door (catalog.api.is_countable_run_key).
    path = tmp_path / "enrollments.csv"
    path.write_text(ENROLLMENTS + f"13,{A},audit,1,2025-03-01,\n13,{run_key},audit,1,2025-03-02,\n")
    errors = tmp_path / "rejected.csv"
    with pytest.raises(CommandError, match="1 row rejected") as raised:
        run("bulk_insert_enrollments", path, "--errors-file", errors)
    assert raised.value.returncode == 2
    assert list(CourseFact.objects.filter(lms_user_id=13).values_list("run_key", flat=True)) == [A]
    line = errors.read_text().splitlines()[1]
    # The report shows a long value cut to 60 characters.
    assert line.startswith(f"3,\"course_id '{run_key[:57]}")
    assert "': Not a course run key that can count" in line


def test_a_deprecated_slash_run_key_counts_for_its_course(tmp_path):
    path = tmp_path / "passes.csv"
    path.write_text(
        f"user_id,course_id,passed_at\n14,{A},2025-05-01 00:00:00 Z\n14,edX/B/2014_T1,2025-06-01 00:00:00 Z\n"
    )
    run("bulk_insert_course_passes", path)
    assert intents_of(14) == [("ALL_COURSES_COMPLETE", "CERTAIN_YES", datetime(2025, 6, 1, tzinfo=UTC))]


def test_a_batch_and_its_evaluation_are_a_fixed_number_of_queries(tmp_path, django_assert_num_queries):
    # One batch of facts (300 learners), one evaluation batch that records 100 intents.
    path = tmp_path / "enrollments.csv"
    rows = "".join(f"{n},{A},audit,1,2025-03-01,\n" for n in range(100, 400))
    rows += "".join(f"{n},{B},audit,1,2025-03-02,\n" for n in range(100, 200))
    path.write_text(ENROLLMENTS + rows)
    # The same number on SQLite and MySQL/MariaDB (no rule state read: one query fewer than ADR 23's).
    with django_assert_num_queries(412):
        out, _ = run("bulk_insert_enrollments", path)
    assert out.strip().endswith("created 400, duplicates 0, rejected 0. Evaluated 300 learners, recorded 100 intents.")


def test_a_dry_run_counts_by_reading_and_writes_nothing(tmp_path):
    path = tmp_path / "enrollments.csv"
    path.write_text(ENROLLMENTS + f"15,{A},audit,1,2025-03-01,\n15,{B},audit,1,2025-03-02,\n")
    out, _ = run("bulk_insert_enrollments", path, "--dry-run")
    assert out.strip().endswith("would create 2, duplicates 0, rejected 0. Dry run: nothing was written.")
    assert not CourseFact.objects.filter(lms_user_id=15).exists()
    assert intents_of(15) == []
    run("bulk_insert_enrollments", path)
    out, _ = run("bulk_insert_enrollments", path, "--dry-run")
    assert "would create 0, duplicates 2, rejected 0." in out


def test_json_ends_the_output_with_the_summary_and_the_evaluation(tmp_path):
    path = tmp_path / "passes.csv"
    path.write_text(f"user_id,course_id,passed_at\n16,{A},2025-05-01 00:00:00 Z\n16,{B},2025-06-01 00:00:00 Z\n")
    out, _ = run("bulk_insert_course_passes", path, "--json", "--batch-size", "1")
    summary = json.loads(out.strip().splitlines()[-1])
    assert {key: summary[key] for key in ("rows_read", "created", "duplicates", "rejected", "learners", "intents")} == {
        "rows_read": 2,
        "created": 2,
        "duplicates": 0,
        "rejected": 0,
        "learners": 1,
        "intents": 1,
    }
    assert summary["dry_run"] is False


def test_max_rejected_stops_the_load_and_keeps_the_batches_before(tmp_path):
    path = tmp_path / "enrollments.csv"
    rows = [f"17,{A},audit,1,2025-03-01,", "17,not a run,audit,1,2025-03-01,", f"17,{B},audit,1,2025-03-02,"]
    path.write_text(ENROLLMENTS + "\n".join(rows) + "\n")
    with pytest.raises(CommandError, match=r"more than 0 rows rejected \(--max-rejected\): stopped at line") as raised:
        run("bulk_insert_enrollments", path, "--batch-size", "1", "--max-rejected", "0")
    assert "kept the batches of the lines up to line 2 (1 new course fact)" in str(raised.value)
    assert list(CourseFact.objects.filter(lms_user_id=17).values_list("run_key", flat=True)) == [A]


def test_a_file_of_many_rejected_rows_streams_them_to_the_errors_file(tmp_path):
    path = tmp_path / "enrollments.csv"
    path.write_text(ENROLLMENTS + "".join(f"{n},not a run,audit,1,2025-03-01,\n" for n in range(1, 251)))
    errors = tmp_path / "rejected.csv"
    with pytest.raises(CommandError, match="250 rows rejected") as raised:
        run("bulk_insert_enrollments", path, "--errors-file", errors, "--batch-size", "100")
    assert raised.value.returncode == 2
    assert len(errors.read_text().splitlines()) == 251
    assert not CourseFact.objects.exists()


def facts_of(learner: int) -> list[tuple]:
    return sorted(CourseFact.objects.filter(lms_user_id=learner).values_list("run_key", "time", "active"))


def test_an_inactive_row_without_modified_needs_as_of_or_is_rejected_by_its_line(tmp_path):
    path = tmp_path / "enrollments.csv"
    path.write_text(ENROLLMENTS + f"20,{A},audit,1,2025-03-01,\n20,{B},audit,0,2025-03-02,\n")
    errors = tmp_path / "rejected.csv"
    with pytest.raises(CommandError, match="1 row rejected") as raised:
        run("bulk_insert_enrollments", path, "--errors-file", errors)
    assert raised.value.returncode == 2
    assert errors.read_text().splitlines()[1].startswith("3,\"modified '': Required for an inactive row, unless")
    assert "--as-of" in errors.read_text()
    assert facts_of(20) == [(A, datetime(2025, 3, 1, tzinfo=UTC), True)]
    out, _ = run("bulk_insert_enrollments", path, "--as-of", "2025-09-01T00:00:00Z")
    # The active row is active from created and still at the export's time; the inactive row inactive then.
    assert "created 2, duplicates 1, rejected 0." in out
    assert facts_of(20) == [
        (A, datetime(2025, 3, 1, tzinfo=UTC), True),
        (A, datetime(2025, 9, 1, tzinfo=UTC), True),
        (B, datetime(2025, 9, 1, tzinfo=UTC), False),
    ]


def test_an_active_row_is_active_from_created_and_at_modified(tmp_path):
    path = tmp_path / "enrollments.csv"
    path.write_text(
        ENROLLMENTS
        + f"21,{A},audit,1,2025-03-01,2025-05-01\n"  # two facts
        + f"21,{B},audit,1,2025-03-02,2025-03-02\n"  # one: modified is created
    )
    out, _ = run("bulk_insert_enrollments", path)
    assert "read 2 rows in " in out
    assert "created 3, duplicates 0, rejected 0." in out
    assert facts_of(21) == [
        (A, datetime(2025, 3, 1, tzinfo=UTC), True),
        (A, datetime(2025, 5, 1, tzinfo=UTC), True),
        (B, datetime(2025, 3, 2, tzinfo=UTC), True),
    ]


def test_the_same_snapshot_loaded_twice_adds_nothing(tmp_path):
    path = tmp_path / "enrollments.csv"
    path.write_text(
        ENROLLMENTS + f"22,{A},audit,1,2025-03-01,\n22,{B},audit,0,2025-03-02,\n23,{A},audit,1,2025-03-01,2025-04-01\n"
    )
    run("bulk_insert_enrollments", path, "--as-of", "2025-09-01")
    facts = CourseFact.objects.count()
    out, _ = run("bulk_insert_enrollments", path, "--as-of", "2025-09-01")
    assert "created 0, duplicates 5, rejected 0. Evaluated 2 learners, recorded 0 intents." in out
    assert CourseFact.objects.count() == facts


def test_an_old_snapshot_loaded_after_a_later_re_enrollment_changes_nothing(tmp_path):
    # The snapshot: enrolled in A, unenrolled from B.
    path = tmp_path / "enrollments.csv"
    path.write_text(ENROLLMENTS + f"24,{A},audit,1,2025-03-01,\n24,{B},audit,0,2025-03-02,\n")
    run("bulk_insert_enrollments", path, "--as-of", "2025-09-01")
    assert intents_of(24) == []
    # Live, later: the learner enrolls in B again, which completes the program.
    services.record_enrollment(
        lms_user_id=24, run_key=B, is_active=True, mode="audit", at=datetime(2026, 2, 1, tzinfo=UTC)
    )
    assert intents_of(24) == [("ENROLLED_ALL_COURSES", "MAYBE", datetime(2026, 2, 1, tzinfo=UTC))]
    before = facts_of(24)
    out, _ = run("bulk_insert_enrollments", path, "--as-of", "2025-09-01")
    assert "created 0, duplicates 3" in out
    assert facts_of(24) == before
    # The next live change finds B still active: no second completion.
    services.record_enrollment(
        lms_user_id=24, run_key=B, is_active=True, mode="verified", at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert intents_of(24) == [("ENROLLED_ALL_COURSES", "MAYBE", datetime(2026, 2, 1, tzinfo=UTC))]


def test_a_row_dated_in_the_future_is_rejected_by_its_line_and_the_rest_loads(tmp_path):
    path = tmp_path / "enrollments.csv"
    path.write_text(
        ENROLLMENTS
        + f"25,{A},audit,1,2025-03-01,\n"
        + f"25,{B},audit,1,2099-01-01,\n"  # rejected: the learner is not poisoned
        + f"26,{A},audit,1,2025-03-01,\n"
        + f"26,{B},audit,1,2025-03-02,2099-01-01\n"
        + f"27,{A},audit,1,2025-03-01,\n"
        + f"27,{B},audit,1,2025-03-02,\n"
        + f"25,{B},audit,1,2025-04-01,\n"  # the same learner's later row loads
    )
    errors = tmp_path / "rejected.csv"
    with pytest.raises(CommandError, match="2 rows rejected") as raised:
        run("bulk_insert_enrollments", path, "--errors-file", errors)
    assert raised.value.returncode == 2
    rejected = errors.read_text().splitlines()
    assert rejected[1].startswith("3,created '2099-01-01': Must not be in the future")
    assert rejected[2].startswith("5,modified '2099-01-01': Must not be in the future")
    assert intents_of(25) == [("ENROLLED_ALL_COURSES", "MAYBE", datetime(2025, 4, 1, tzinfo=UTC))]
    assert intents_of(26) == []
    assert intents_of(27) == [("ENROLLED_ALL_COURSES", "MAYBE", datetime(2025, 3, 2, tzinfo=UTC))]
    assert not CourseFact.objects.filter(time__year=2099).exists()


def test_a_pass_dated_in_the_future_is_rejected_by_its_line(tmp_path):
    path = tmp_path / "passes.csv"
    path.write_text(f"user_id,course_id,passed_at\n28,{A},2099-01-01\n28,{A},2025-05-01\n28,{B},2025-06-01\n")
    errors = tmp_path / "rejected.csv"
    with pytest.raises(CommandError, match="1 row rejected"):
        run("bulk_insert_course_passes", path, "--errors-file", errors)
    assert errors.read_text().splitlines()[1].startswith("2,passed_at '2099-01-01': Must not be in the future")
    assert intents_of(28) == [("ALL_COURSES_COMPLETE", "CERTAIN_YES", datetime(2025, 6, 1, tzinfo=UTC))]


@pytest.mark.parametrize(
    ("as_of", "message"),
    [("yesterday", "--as-of 'yesterday': Not a timestamp"), ("2099-01-01", "--as-of '2099-01-01': Must not be in the")],
)
def test_a_bad_as_of_stops_the_load_before_it_starts(tmp_path, as_of, message):
    path = tmp_path / "enrollments.csv"
    path.write_text(ENROLLMENTS + f"29,{A},audit,1,2025-03-01,\n")
    with pytest.raises(CommandError, match=message):
        run("bulk_insert_enrollments", path, "--as-of", as_of)
    assert not CourseFact.objects.exists()


def test_run_keys_in_another_letter_case_load_as_other_runs_and_crash_nothing(tmp_path):
    # On MariaDB's default collation these matched the catalog's A and B, which Python's dicts did not.
    other_a, other_b = A.replace("edX+A", "EDX+a"), B.replace("edX+B", "edx+B")
    path = tmp_path / "enrollments.csv"
    path.write_text(
        ENROLLMENTS
        + f"15,{other_a},audit,1,2025-03-01,\n15,{other_b},audit,1,2025-03-02,\n"
        + f"15,{A},audit,1,2025-03-01,\n16,{A},audit,1,2025-03-01,\n16,{B},audit,1,2025-03-03,\n"
    )
    out, _ = run("bulk_insert_enrollments", path)
    assert "created 5, duplicates 0, rejected 0" in out
    assert intents_of(15) == []  # only A itself counts: B is not covered
    assert intents_of(16) == [("ENROLLED_ALL_COURSES", "MAYBE", datetime(2025, 3, 3, tzinfo=UTC))]
