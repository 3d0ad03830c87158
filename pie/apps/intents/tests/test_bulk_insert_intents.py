"""The bulk_insert_intents command, run in-process on the test database (SQLite or MariaDB)."""

import csv
import gzip
import io
import json
import os
import signal
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from pie.apps.intents.intake import stopping
from pie.apps.intents.management.commands import bulk_insert_intents as command_module
from pie.apps.intents.models import ProgramIntent

pytestmark = pytest.mark.django_db

PROGRAM = "6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e"
OTHER_PROGRAM = "0b7a2f3e-5c1d-4e8f-9a6b-2c3d4e5f6a7b"
HEADER = "program_uuid,user_id,intent_reason,intent_certainty,effective_time"
JULY_FIRST = datetime(2022, 7, 1, tzinfo=UTC)


def line(user=1, program=PROGRAM, reason="BUNDLE_PURCHASE", certainty="CERTAIN_YES", when="2022-07-01 00:00:00 Z"):
    return f"{program},{user},{reason},{certainty},{when}"


def csv_text(*lines, header=HEADER):
    return "\n".join([header, *lines]) + "\n"


@dataclass
class Outcome:
    stdout: str
    stderr: str
    returncode: int
    error: str = ""

    @property
    def summary(self) -> dict:
        return json.loads(self.stdout.strip().splitlines()[-1])


def load(path, *args) -> Outcome:
    """Run the command as an operator would; a CommandError becomes its exit status."""
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("bulk_insert_intents", str(path), *args, stdout=stdout, stderr=stderr)
    except CommandError as error:
        return Outcome(stdout.getvalue(), stderr.getvalue(), error.returncode, str(error))
    return Outcome(stdout.getvalue(), stderr.getvalue(), 0)


@pytest.fixture
def write(tmp_path):
    def write(text, name="intents.csv", encoding="utf-8"):
        path = tmp_path / name
        data = text.encode(encoding) if isinstance(text, str) else text
        if name.endswith(".gz"):
            data = gzip.compress(data)
        path.write_bytes(data)
        return path

    return write


def stored():
    return sorted(
        ProgramIntent.objects.values_list("lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp")
    )


class TestHeader:
    @pytest.mark.parametrize(
        "header",
        [
            "program_uuid,user_id,intent_reason,intent_certainty,effective_time",
            "PROGRAM_UUID,User_Id,Intent_Reason,INTENT_CERTAINTY,Effective_Time",
            " program_uuid , user_id ,intent_reason,  intent_certainty,effective_time ",
        ],
    )
    def test_column_names_ignore_case_and_spaces(self, write, header):
        outcome = load(write(csv_text(line(user=1), line(user=2), header=header)))
        assert outcome.returncode == 0, outcome.error
        assert [row[0] for row in stored()] == [1, 2]

    def test_columns_in_any_order_with_extra_columns(self, write):
        text = "note,effective_time,intent_certainty,user_id,extra,intent_reason,program_uuid\n"
        text += f"hello,2022-07-01 00:00:00 Z,MAYBE,7,x,ENROLLED_ALL_COURSES,{PROGRAM}\n"
        outcome = load(write(text))
        assert outcome.returncode == 0, outcome.error
        assert stored() == [(7, uuid.UUID(PROGRAM), "ENROLLED_ALL_COURSES", "MAYBE", JULY_FIRST)]

    def test_a_byte_order_mark_is_ignored(self, write):
        path = write(csv_text(line(user=3)), encoding="utf-8-sig")
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        assert load(path).returncode == 0
        assert [row[0] for row in stored()] == [3]

    @pytest.mark.parametrize(
        "missing", ["program_uuid", "user_id", "intent_reason", "intent_certainty", "effective_time"]
    )
    def test_a_missing_column_is_an_error_before_anything_is_written(self, write, missing):
        header = ",".join(name for name in HEADER.split(",") if name != missing)
        rows = [",".join(["x"] * 4)]
        outcome = load(write(csv_text(*rows, header=header)))
        assert outcome.returncode == 1
        assert f"lacks column {missing}" in outcome.error
        assert ProgramIntent.objects.count() == 0

    def test_a_column_named_twice_is_an_error(self, write):
        outcome = load(write(csv_text(line() + ",2", header=HEADER + ",user_id")))
        assert outcome.returncode == 1
        assert "user_id twice" in outcome.error


@pytest.mark.parametrize(
    "when",
    [
        "2022-07-01 00:00:00 Z",
        "2022-07-01T00:00:00Z",
        "2022-07-01T02:00:00+02:00",
        "2022-06-30T19:00:00-05:00",
        "2022-07-01T00:00:00",
        "2022-07-01 00:00:00",
    ],
)
def test_each_timestamp_form_is_the_same_instant(write, when):
    outcome = load(write(csv_text(line(when=when))))
    assert outcome.returncode == 0, outcome.error
    [(_, _, _, _, effective)] = stored()
    assert effective == JULY_FIRST


class TestSources:
    def test_gzip_file(self, write):
        path = write(csv_text(line(user=1), line(user=2)), name="intents.csv.gz")
        assert path.read_bytes()[:2] == b"\x1f\x8b"
        assert load(path).returncode == 0
        assert ProgramIntent.objects.count() == 2

    @pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
    def test_standard_input(self, monkeypatch, compress):
        data = csv_text(line(user=1), line(user=2), line(user=3)).encode()
        stdin = io.BufferedReader(io.BytesIO(gzip.compress(data) if compress else data))
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin))
        outcome = load("-", "--json")
        assert outcome.returncode == 0, outcome.error
        assert outcome.summary["created"] == 3
        assert ProgramIntent.objects.count() == 3
        assert not stdin.closed

    def test_the_older_option_spelling(self, write):
        path = write(csv_text(line()))
        stdout = io.StringIO()
        call_command("bulk_insert_intents", "--csv_filepath", str(path), stdout=stdout)
        assert ProgramIntent.objects.count() == 1

    def test_the_file_given_twice_or_not_at_all(self, write):
        path = str(write(csv_text(line())))
        with pytest.raises(CommandError, match="either FILE or --csv_filepath"):
            call_command("bulk_insert_intents", path, "--csv_filepath", path)
        with pytest.raises(CommandError, match="give the CSV file"):
            call_command("bulk_insert_intents")

    def test_a_missing_file(self, tmp_path):
        outcome = load(tmp_path / "nope.csv")
        assert (outcome.returncode, outcome.error) == (1, f"{tmp_path / 'nope.csv'}: no such file")

    def test_a_directory(self, tmp_path):
        outcome = load(tmp_path)
        assert outcome.returncode == 1
        assert "is a directory" in outcome.error

    def test_a_file_that_cannot_be_opened(self, write):
        # A path through a regular file: open() fails with an OSError other than "not found"
        # (permissions would do too, but the suite may run as root).
        path = write(csv_text(line())) / "intents.csv"
        outcome = load(path)
        assert outcome.returncode == 1
        assert outcome.error == f"{path}: cannot open: Not a directory"

    @pytest.mark.parametrize("text", ["", "\n\n", "\ufeff"])
    def test_an_empty_file(self, write, text):
        outcome = load(write(text))
        assert outcome.returncode == 1
        assert "the file is empty" in outcome.error

    def test_a_header_without_rows_loads_nothing_and_succeeds(self, write):
        outcome = load(write(csv_text()), "--json")
        assert outcome.returncode == 0
        assert outcome.summary["rows_read"] == 0

    def test_a_file_that_is_not_gzip_despite_its_name(self, write, tmp_path):
        path = tmp_path / "intents.csv.gz"
        path.write_text(csv_text(line()))
        outcome = load(path)
        assert outcome.returncode == 1
        assert "unreadable" in outcome.error

    def test_bytes_that_are_not_utf8_cost_their_rows_only(self, write, tmp_path):
        rows = [line(user=1).encode(), b"\xff\xfe broken", line(user=2, reason="BUNDLE_\xa0").encode("latin-1")]
        path = write(b"\n".join([HEADER.encode(), *rows, line(user=3).encode(), b""]))
        errors = tmp_path / "rejected.csv"
        outcome = load(path, "--errors-file", str(errors), "--json")
        assert outcome.returncode == command_module.EXIT_ROWS_REJECTED
        assert "line 3: expected 5 fields as in the header, found 1" in outcome.stderr
        assert "line 4: intent_reason 'BUNDLE_\\udca0': Unknown reason" in outcome.stderr
        assert outcome.summary == {**outcome.summary, "rows_read": 4, "created": 2, "rejected": 2}
        assert [row[0] for row in stored()] == [1, 3]
        # The errors file gives the rows back byte for byte, to be fixed and loaded again.
        with errors.open(newline="", encoding="utf-8", errors="surrogateescape") as file:
            records = list(csv.reader(file))
        assert records[1] == ["3", "expected 5 fields as in the header, found 1", "\udcff\udcfe broken"]
        assert records[2][0] == "4"
        assert records[2][2:] == rows[2].decode("utf-8", "surrogateescape").split(",")
        assert b"\xff\xfe broken" in errors.read_bytes()


class TestDuplicates:
    def test_within_a_batch(self, write):
        outcome = load(write(csv_text(line(user=1), line(user=1), line(user=2))), "--json")
        assert (outcome.summary["created"], outcome.summary["duplicates"]) == (2, 1)
        assert outcome.returncode == 0
        assert ProgramIntent.objects.count() == 2

    def test_across_batches_and_in_another_timestamp_form(self, write):
        rows = [line(user=1), line(user=2), line(user=3), line(user=1, when="2022-07-01T02:00:00+02:00")]
        outcome = load(write(csv_text(*rows)), "--batch-size", "2", "--json")
        assert (outcome.summary["created"], outcome.summary["duplicates"]) == (3, 1)
        assert ProgramIntent.objects.count() == 3

    def test_of_the_database_and_a_second_run(self, write):
        path = write(csv_text(line(user=1), line(user=2)))
        assert load(path).returncode == 0
        before = stored()
        again = load(path, "--json")
        assert again.returncode == 0
        assert (again.summary["created"], again.summary["duplicates"]) == (0, 2)
        assert stored() == before


BAD_ROWS = [
    pytest.param(line(program="not-a-uuid"), "program_uuid 'not-a-uuid'", id="uuid"),
    pytest.param(line(user="abc"), "user_id 'abc'", id="user-id"),
    pytest.param(line(user="0"), "user_id '0'", id="user-id-zero"),
    pytest.param(line(reason="GUESSED"), "intent_reason 'GUESSED'", id="reason"),
    pytest.param(line(certainty="PROBABLY"), "intent_certainty 'PROBABLY'", id="certainty"),
    pytest.param(line(when="yesterday"), "effective_time 'yesterday'", id="timestamp"),
    pytest.param(
        line(when="2999-01-01 00:00:00 Z"), "effective_time '2999-01-01 00:00:00 Z': Must not be", id="future"
    ),
    pytest.param(line(user="1_000"), "user_id '1_000'", id="user-id-not-plain-digits"),
    pytest.param(
        line(when="0001-01-01T00:00:00+01:00"),
        "effective_time '0001-01-01T00:00:00+01:00': Out of range: must be between 0001-01-01T00:00:00Z",
        id="before-year-1",
    ),
    pytest.param(
        line(when="9999-12-31 23:00:00 -0500"),
        "effective_time '9999-12-31 23:00:00 -0500': Out of range: must be between 0001-01-01T00:00:00Z",
        id="after-year-9999",
    ),
    pytest.param(
        line(when="2022-07-01T00:00:00+00:99"),
        "effective_time '2022-07-01T00:00:00+00:99': Must be an ISO 8601",
        id="offset-minutes-99",
    ),
    pytest.param(line(when="2022-07-01 00:00:00 -0075"), "effective_time '2022-07-01 00:00:00 -0075'", id="offset-75"),
    pytest.param(line(when="2022-07-01T00:00:00+24:00"), "effective_time '2022-07-01T00:00:00+24:00'", id="offset-24h"),
    pytest.param(f"{PROGRAM},4,BUNDLE_PURCHASE", "expected 5 fields as in the header, found 3", id="too-few-fields"),
    pytest.param(
        line(reason='"' + "X" * 120_000 + "\n" + "X" * 20_000 + '"'),
        "not a readable CSV record: field larger than field limit",
        id="huge-field-over-two-lines",
    ),
    pytest.param(line(reason="X" * 200_000), "longer than 131072 characters: not read", id="huge-line"),
    pytest.param(line() + ",extra", "expected 5 fields as in the header, found 6", id="too-many-fields"),
]


class TestBadRows:
    @pytest.mark.parametrize(("bad", "reported"), BAD_ROWS)
    def test_is_rejected_with_its_line_and_the_rest_loads(self, write, bad, reported):
        rows = [line(user=1), line(user=2), bad, line(user=3), line(user=4)]
        outcome = load(write(csv_text(*rows)), "--batch-size", "2", "--json")
        assert outcome.returncode == command_module.EXIT_ROWS_REJECTED
        # The header is line 1, so the third data row is line 4.
        assert f"line 4: {reported}" in outcome.stderr
        assert outcome.stderr.count("line ") == 1
        assert "1 row rejected" in outcome.error
        assert outcome.summary == {**outcome.summary, "rows_read": 5, "created": 4, "rejected": 1}
        assert [row[0] for row in stored()] == [1, 2, 3, 4]

    def test_every_field_at_fault_is_named(self, write):
        outcome = load(write(csv_text(line(), line(user="x", reason="NOPE"))))
        assert "line 3: user_id 'x': Must be a whole number" in outcome.stderr
        assert "intent_reason 'NOPE': Unknown reason" in outcome.stderr

    def test_a_quoted_field_spanning_lines_is_reported_at_its_first_line(self, write):
        rows = [line(user=1), f'{PROGRAM},2,"BUNDLE\nPURCHASE",CERTAIN_YES,2022-07-01 00:00:00 Z', line(user=3)]
        outcome = load(write(csv_text(*rows)))
        assert "line 3: intent_reason 'BUNDLE\\nPURCHASE'" in outcome.stderr
        assert [row[0] for row in stored()] == [1, 3]

    def test_rejections_are_reported_in_line_order(self, write):
        rows = [line(user=1), line(reason="X"), "a,b", line(certainty="Y"), line(user=5)]
        outcome = load(write(csv_text(*rows)), "--batch-size", "10")
        lines = [text.split(":")[0] for text in outcome.stderr.splitlines()]
        assert lines == ["line 3", "line 4", "line 5"]


class TestErrorsFile:
    def test_holds_each_rejected_row_as_read_with_its_line_and_reason(self, write, tmp_path):
        header = "user_id,program_uuid,intent_reason,intent_certainty,effective_time,note"
        rows = [
            f"1,{PROGRAM},BUNDLE_PURCHASE,CERTAIN_YES,2022-07-01 00:00:00 Z,ok",
            f'2,{PROGRAM},GUESSED,CERTAIN_YES,2022-07-01 00:00:00 Z,"has, comma"',
            "3,short",
        ]
        errors = tmp_path / "rejected.csv"
        outcome = load(write(csv_text(*rows, header=header)), "--errors-file", str(errors))
        assert outcome.returncode == command_module.EXIT_ROWS_REJECTED
        assert "and in the errors file" in outcome.error
        with errors.open(newline="", encoding="utf-8") as file:
            records = list(csv.reader(file))
        assert records[0] == ["line_number", "rejection_reason", *header.split(",")]
        assert records[1][:2] == ["3", records[1][1]]
        assert records[1][1].startswith("intent_reason 'GUESSED': Unknown reason")
        assert records[1][2:] == ["2", PROGRAM, "GUESSED", "CERTAIN_YES", "2022-07-01 00:00:00 Z", "has, comma"]
        assert records[2] == ["4", "expected 6 fields as in the header, found 2", "3", "short"]
        assert len(records) == 3

    def test_can_be_fixed_and_loaded_again(self, write, tmp_path):
        errors = tmp_path / "rejected.csv"
        load(write(csv_text(line(user=1), line(user=2, reason="BUNDLE_PURCHAS"))), "--errors-file", str(errors))
        fixed = errors.read_text(encoding="utf-8").replace(",BUNDLE_PURCHAS,", ",BUNDLE_PURCHASE,")
        outcome = load(write(fixed, name="fixed.csv"), "--json")
        assert outcome.returncode == 0, outcome.stderr
        assert outcome.summary["created"] == 1
        assert [row[0] for row in stored()] == [1, 2]

    def test_is_created_empty_but_for_its_header_when_nothing_is_rejected(self, write, tmp_path):
        errors = tmp_path / "rejected.csv"
        assert load(write(csv_text(line())), "--errors-file", str(errors)).returncode == 0
        assert errors.read_text(encoding="utf-8").splitlines() == ["line_number,rejection_reason," + HEADER]

    def test_an_unwritable_errors_file_stops_before_loading(self, write, tmp_path):
        outcome = load(write(csv_text(line())), "--errors-file", str(tmp_path / "no" / "such" / "dir.csv"))
        assert outcome.returncode == 1
        assert "cannot write the errors file" in outcome.error
        assert ProgramIntent.objects.count() == 0

    def test_the_file_being_loaded_is_refused_as_the_errors_file(self, write):
        source = write(csv_text(line()))
        before = source.read_bytes()
        outcome = load(source, "--errors-file", str(source))
        assert outcome.returncode == 1
        assert "is the file being loaded" in outcome.error
        assert source.read_bytes() == before
        assert ProgramIntent.objects.count() == 0


class TestDryRun:
    def test_counts_without_writing(self, write):
        load(write(csv_text(line(user=1)), name="first.csv"))
        rows = [line(user=1), line(user=2), line(user=2), line(user="bad"), line(user=3)]
        outcome = load(write(csv_text(*rows)), "--dry-run", "--json")
        summary = outcome.summary
        assert (summary["created"], summary["duplicates"], summary["rejected"]) == (2, 2, 1)
        assert summary["dry_run"] is True
        assert "would create 2" in outcome.stdout
        assert outcome.returncode == command_module.EXIT_ROWS_REJECTED
        assert [row[0] for row in stored()] == [1]

    def test_writes_nothing_at_all(self, write, django_assert_num_queries):
        rows = [line(user=n) for n in range(1, 21)]
        # Two reads per batch (retired learners, then recorded rows), and no insert.
        with django_assert_num_queries(4) as context:
            outcome = load(write(csv_text(*rows)), "--dry-run", "--batch-size", "10")
        assert all(query["sql"].lstrip().upper().startswith("SELECT") for query in context.captured_queries)
        assert outcome.returncode == 0
        assert ProgramIntent.objects.count() == 0


class TestReporting:
    def test_summary_and_json(self, write):
        outcome = load(write(csv_text(line(user=1), line(user=1), line(reason="X"))), "--json")
        lines = outcome.stdout.strip().splitlines()
        assert "read 3 rows" in lines[0]
        assert "created 1, duplicates 1, rejected 1" in lines[0]
        summary = json.loads(lines[-1])
        assert {key: summary[key] for key in ("rows_read", "created", "duplicates", "rejected")} == {
            "rows_read": 3,
            "created": 1,
            "duplicates": 1,
            "rejected": 1,
        }
        assert summary["elapsed_seconds"] >= 0
        assert summary["rows_per_second"] >= 0
        assert summary["interrupted"] is False

    def test_without_json_stdout_is_the_summary_only(self, write):
        outcome = load(write(csv_text(line())))
        assert outcome.returncode == 0
        [summary] = outcome.stdout.strip().splitlines()
        assert summary.endswith("created 1, duplicates 0, rejected 0.")

    def test_log_lines_report_progress_when_not_on_a_terminal(self, write, caplog):
        rows = [line(user=n) for n in range(1, 7)]
        with caplog.at_level("INFO", logger="pie.apps.intents.intake.progress"):
            load(write(csv_text(*rows)), "--batch-size", "2", "--progress-interval", "0")
        progress = [r.getMessage() for r in caplog.records if r.name == "pie.apps.intents.intake.progress"]
        assert len(progress) == 3
        assert "6 rows read" in progress[-1]

    def test_each_batch_is_one_insert_in_its_own_transaction(self, write, django_assert_max_num_queries):
        rows = [line(user=n) for n in range(1, 31)]
        # 3 batches; each is the read of retired learners, then an insert in its transaction.
        with django_assert_max_num_queries(3 * 4):
            load(write(csv_text(*rows)), "--batch-size", "10")
        assert ProgramIntent.objects.count() == 30

    def test_keeps_no_query_log_under_debug(self, write, settings):
        # DEBUG logs every query with its SQL: over millions of rows, hundreds of MB.
        settings.DEBUG = True
        connection.queries_log.clear()
        load(write(csv_text(*[line(user=n) for n in range(1, 31)])), "--batch-size", "5")
        assert len(connection.queries_log) == 0
        assert ProgramIntent.objects.count() == 30


class TestOptions:
    def test_sleep_pauses_between_batches_only(self, write, monkeypatch):
        # A clock that only moves when the command sleeps.
        clock, pauses = [1000.0], []

        def sleep(seconds):
            pauses.append(seconds)
            clock[0] += seconds

        monkeypatch.setattr(stopping.time, "sleep", sleep)
        monkeypatch.setattr(stopping.time, "monotonic", lambda: clock[0])
        rows = [line(user=n) for n in range(1, 8)]
        outcome = load(write(csv_text(*rows)), "--batch-size", "2", "--sleep", "0.25")
        assert outcome.returncode == 0
        # Four batches, three pauses of 0.25 s between them (slept in slices of at most 0.1 s).
        assert sum(pauses) == pytest.approx(3 * 0.25)
        assert max(pauses) <= 0.1
        assert ProgramIntent.objects.count() == 7

    @pytest.mark.parametrize(("option", "value"), [("--batch-size", "0"), ("--sleep", "-1")])
    def test_bad_option_values(self, write, option, value):
        with pytest.raises(CommandError, match=option):
            call_command("bulk_insert_intents", str(write(csv_text(line()))), option, value)


class TestInterruption:
    def test_ctrl_c_stops_after_the_current_batch_and_prints_the_summary(self, write, monkeypatch):
        def interrupt_after_first_batch(self, totals):
            os.kill(os.getpid(), signal.SIGINT)

        monkeypatch.setattr(command_module.Progress, "update", interrupt_after_first_batch)
        rows = [line(user=n) for n in range(1, 11)]
        outcome = load(write(csv_text(*rows)), "--batch-size", "3", "--json")
        assert outcome.returncode == command_module.EXIT_INTERRUPTED
        assert "interrupted by SIGINT after 3 rows" in outcome.error
        assert outcome.summary["interrupted"] is True
        assert outcome.summary["created"] == 3
        assert [row[0] for row in stored()] == [1, 2, 3]
        # The handler is removed when the command ends.
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    def test_ctrl_c_during_a_pause_ends_the_load_there(self, write, monkeypatch):
        monkeypatch.setattr(stopping.time, "sleep", lambda seconds: os.kill(os.getpid(), signal.SIGINT))
        rows = [line(user=n) for n in range(1, 11)]
        outcome = load(write(csv_text(*rows)), "--batch-size", "4", "--sleep", "5", "--json")
        assert outcome.returncode == command_module.EXIT_INTERRUPTED
        assert outcome.summary["created"] == 4
        assert ProgramIntent.objects.count() == 4

    def test_a_second_ctrl_c_stops_at_once(self, write, monkeypatch):
        def interrupt_twice(self, totals):
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)

        monkeypatch.setattr(command_module.Progress, "update", interrupt_twice)
        outcome = load(write(csv_text(*[line(user=n) for n in range(1, 5)])), "--batch-size", "2")
        assert outcome.returncode == command_module.EXIT_INTERRUPTED
        assert "interrupted twice" in outcome.error
        assert ProgramIntent.objects.count() == 2


def test_on_a_terminal_a_progress_bar_shows_the_counts(write, monkeypatch):
    from pie.apps.intents.intake.progress import Progress
    from pie.apps.intents.intake.report import LoadTotals
    from pie.apps.intents.intake.source import open_source

    terminal = io.StringIO()
    monkeypatch.setattr(sys, "stderr", terminal)
    source = open_source(path=str(write(csv_text(line(user=1), line(user=2)))))
    source.binary.read()
    progress = Progress(source=source, interval=10, interactive=True)
    progress.update(LoadTotals(rows_read=2, inserted=1, duplicates=1, rejected=0))
    progress.close()
    source.close()
    shown = terminal.getvalue()
    assert "rows=2" in shown
    assert "created=1" in shown
    assert "100%" in shown


def test_a_database_error_keeps_the_batches_written_and_says_so(write, monkeypatch):
    from django.db import OperationalError

    from pie.apps.intents.writing.writers import WRITERS

    writer_class = WRITERS[connection.vendor]
    insert = writer_class.insert
    calls = []

    def fail_on_the_second_batch(self, rows, **kwargs):
        calls.append(len(rows))
        if len(calls) == 2:
            raise OperationalError("(2013, 'Lost connection to server during query')")
        return insert(self, rows, **kwargs)

    monkeypatch.setattr(writer_class, "insert", fail_on_the_second_batch)
    outcome = load(write(csv_text(*[line(user=n) for n in range(1, 8)])), "--batch-size", "3", "--json")
    assert outcome.returncode == 1
    assert outcome.error.startswith("database error after 3 rows, the batch in progress was not written")
    assert "Lost connection" in outcome.error
    assert outcome.summary["created"] == 3
    assert [row[0] for row in stored()] == [1, 2, 3]


def test_lenient_uuid_and_timestamp_forms_are_rejected_rows(write):
    rows = [
        line(user=1),
        line(user=2, program="+6e1e5a3c1e384f0c9a443b9f1f0c6a2"),
        line(user=3, when='"2022-07-01\n00:00:00 Z"'),
        line(user=4, when="1" * 64),
        line(user=5),
    ]
    outcome = load(write(csv_text(*rows)))
    assert outcome.returncode == command_module.EXIT_ROWS_REJECTED
    assert [row[0] for row in stored()] == [1, 5]
    assert "line 3: program_uuid '+6e1e5a3c1e384f0c9a443b9f1f0c6a2'" in outcome.stderr
    assert "line 4: effective_time '2022-07-01\\n00:00:00 Z'" in outcome.stderr
    assert "line 6: effective_time" in outcome.stderr


class TestBoundedReporting:
    def test_a_file_of_only_malformed_rows_reports_every_one(self, write, tmp_path):
        errors = tmp_path / "rejected.csv"
        rows = [line(user=n) + "," for n in range(1, 2501)]  # a trailing comma: six fields
        outcome = load(write(csv_text(*rows)), "--errors-file", str(errors), "--json")
        assert outcome.returncode == command_module.EXIT_ROWS_REJECTED, outcome.error
        assert outcome.summary["rejected"] == 2500
        with errors.open(newline="") as written:
            records = list(csv.reader(written))
        assert len(records) == 1 + 2500
        assert [int(record[0]) for record in records[1:]] == list(range(2, 2502))

    def test_the_terminal_shows_the_first_rejections_and_counts_the_rest(self, write, tmp_path):
        errors = tmp_path / "rejected.csv"
        rows = [line(user=n, reason="GUESSED") for n in range(1, 251)]
        outcome = load(write(csv_text(*rows, line(user=999))), "--errors-file", str(errors))
        shown = [text for text in outcome.stderr.splitlines() if text.startswith("line ")]
        assert len(shown) == 100
        assert "... and 150 more rejected rows not shown here (all are in the errors file)" in outcome.stderr
        assert len(errors.read_text().splitlines()) == 1 + 250
        assert [row[0] for row in stored()] == [999]

    def test_max_rejected_stops_a_load_that_is_the_wrong_file(self, write):
        rows = [line(user=n) for n in range(1, 5)] + [f"{n},x" for n in range(40)]
        outcome = load(write(csv_text(*rows)), "--batch-size", "2", "--max-rejected", "10", "--json")
        assert outcome.returncode == 1
        assert outcome.error.startswith("more than 10 rows rejected (--max-rejected): stopped at line")
        assert outcome.summary["interrupted"] is True
        assert [row[0] for row in stored()] == [1, 2, 3, 4]

    def test_max_rejected_counts_rows_the_rules_refuse_too(self, write):
        rows = [line(user=n, reason="GUESSED") for n in range(1, 30)]
        outcome = load(write(csv_text(*rows)), "--batch-size", "5", "--max-rejected", "3")
        assert outcome.returncode == 1
        assert "more than 3 rows rejected" in outcome.error

    def test_an_errors_file_that_cannot_be_written_is_one_command_error(self, write):
        rows = [line(user=n, reason="GUESSED") for n in range(1, 5)]
        outcome = load(write(csv_text(*rows)), "--errors-file", "/dev/full", "--json")
        assert outcome.returncode == 1
        assert outcome.error.startswith("cannot write the errors file: No space left on device")
        # Its header is written (and flushed) first: nothing is loaded without the record.
        assert outcome.summary["rows_read"] == 0
        assert stored() == []

    def test_a_line_without_an_end_is_rejected_and_read_past(self, write):
        huge = "X" * 3_000_000  # more than two chunks of the line reader
        outcome = load(write(csv_text(line(user=1), huge, line(user=2))), "--json")
        assert outcome.returncode == command_module.EXIT_ROWS_REJECTED
        assert "line 3: longer than 131072 characters: not read" in outcome.stderr
        assert [row[0] for row in stored()] == [1, 2]


def test_a_user_id_cell_padded_with_spaces_is_read_as_its_digits(write):
    # The one door where an id's surrounding spaces are trimmed: warehouse files pad cells.
    outcome = load(write(csv_text(line(user=" 7 "), line(user="\t8"), line(user="+9"))))
    assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [7, 8]
    assert "line 4: user_id '+9': Must be a whole number" in outcome.stderr


def test_max_rejected_keeps_nothing_of_the_batch_that_crosses_the_limit(write):
    # Batch 1 (lines 2-6) is clean; batch 2 (lines 7-11) holds 3 good rows and the 2 bad ones
    # that pass a limit of 1: none of batch 2 is kept, and the message says what was.
    good = [line(user=n) for n in range(1, 6)]
    crossing = [line(user=6), line(user=7), line(reason="GUESSED"), line(user=8), line(user="x")]
    outcome = load(write(csv_text(*good, *crossing)), "--batch-size", "5", "--max-rejected", "1")
    assert outcome.returncode == 1
    assert "kept the batches of the lines up to line 6 (5 new intents)" in outcome.error
    assert [row[0] for row in stored()] == [1, 2, 3, 4, 5]


def test_max_rejected_with_no_batch_kept_says_none(write):
    outcome = load(write(csv_text(line(user="x"), line(user="y"), line(user=1))), "--max-rejected", "1")
    assert outcome.returncode == 1
    assert "kept the batches of the lines none (0 new intents)" in outcome.error
    assert stored() == []
