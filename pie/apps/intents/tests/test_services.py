"""The write path: record_intent and record_intents."""

import re
import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection, connections
from django.utils import timezone

from pie.apps.intents import services
from pie.apps.intents.constants import IntentCertainty, IntentKey, IntentReason
from pie.apps.intents.exceptions import InvalidIntentError
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.validation import parse_timestamp
from pie.apps.intents.writing import base, writers

PROGRAM = uuid.UUID("6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e")
WHEN = datetime(2022, 7, 1, tzinfo=UTC)


def intent_fields(**overrides):
    fields = {
        "lms_user_id": 42,
        "program_uuid": PROGRAM,
        "reason": IntentReason.BUNDLE_PURCHASE,
        "certainty": IntentCertainty.CERTAIN_YES,
        "effective_timestamp": WHEN,
    }
    return {**fields, **overrides}


@pytest.mark.django_db
class TestRecordIntent:
    def test_creates_an_intent(self):
        intent, created = services.record_intent(**intent_fields())
        assert created is True
        stored = ProgramIntent.objects.get()
        assert stored == intent
        assert (stored.lms_user_id, stored.program_uuid, stored.reason, stored.certainty) == (
            42,
            PROGRAM,
            "BUNDLE_PURCHASE",
            "CERTAIN_YES",
        )
        assert stored.effective_timestamp == WHEN
        assert stored.created is not None

    def test_a_duplicate_returns_the_recorded_intent(self):
        first, _ = services.record_intent(**intent_fields())
        again, created = services.record_intent(**intent_fields())
        assert created is False
        assert again.pk == first.pk
        assert ProgramIntent.objects.count() == 1

    def test_string_values_are_normalised_to_the_same_intent(self):
        first, _ = services.record_intent(**intent_fields())
        again, created = services.record_intent(
            **intent_fields(lms_user_id="42", program_uuid=str(PROGRAM), effective_timestamp="2022-07-01 00:00:00 Z")
        )
        assert (again.pk, created) == (first.pk, False)

    def test_omitted_timestamp_means_now(self):
        before = timezone.now()
        intent, _ = services.record_intent(**intent_fields(effective_timestamp=None))
        assert before <= intent.effective_timestamp <= timezone.now()

    def test_naive_timestamp_means_utc(self):
        intent, _ = services.record_intent(**intent_fields(effective_timestamp=datetime(2022, 7, 1, 12, 30)))
        assert ProgramIntent.objects.get(pk=intent.pk).effective_timestamp == datetime(2022, 7, 1, 12, 30, tzinfo=UTC)

    def test_offset_timestamp_is_stored_as_the_same_instant(self):
        intent, _ = services.record_intent(**intent_fields(effective_timestamp="2022-07-01T02:00:00+02:00"))
        assert ProgramIntent.objects.get(pk=intent.pk).effective_timestamp == WHEN

    def test_invalid_values_write_nothing(self):
        with pytest.raises(InvalidIntentError):
            services.record_intent(**intent_fields(reason="GUESSED"))
        assert not ProgramIntent.objects.exists()


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_two_writers_racing_get_one_created_and_one_duplicate():
    """Both threads insert at once; the unique constraint picks the winner."""
    barrier = threading.Barrier(2)
    results, errors = [], []

    def write():
        try:
            barrier.wait(timeout=10)
            results.append(services.record_intent(**intent_fields()))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0].pk == results[1][0].pk
    assert ProgramIntent.objects.count() == 1


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_racing_writers_under_a_held_lock_still_settle_on_the_constraint():
    """The loser's insert waits on the winner's uncommitted row, then sees it as a duplicate."""
    winner_inserted, winner_may_commit = threading.Event(), threading.Event()
    outcome = {}

    def winner():
        from django.db import transaction

        try:
            with transaction.atomic():
                outcome["winner"] = services.record_intent(**intent_fields())
                winner_inserted.set()
                winner_may_commit.wait(timeout=10)
        finally:
            connections.close_all()

    def loser():
        try:
            winner_inserted.wait(timeout=10)
            threading.Timer(0.5, winner_may_commit.set).start()
            outcome["loser"] = services.record_intent(**intent_fields())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=winner), threading.Thread(target=loser)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcome["winner"][1] is True
    assert outcome["loser"][1] is False
    assert outcome["loser"][0].pk == outcome["winner"][0].pk
    assert ProgramIntent.objects.count() == 1


def row(**overrides):
    fields = {
        "lms_user_id": "42",
        "program_uuid": str(PROGRAM),
        "reason": "BUNDLE_PURCHASE",
        "certainty": "CERTAIN_YES",
        "effective_timestamp": "2022-07-01 00:00:00 Z",
    }
    return {**fields, **overrides}


@pytest.mark.django_db
class TestRecordIntents:
    def test_counts_created_rows(self):
        rows = [row(lms_user_id=str(n)) for n in range(1, 11)]
        result = services.record_intents(rows, batch_size=4)
        assert (result.inserted, result.duplicates, result.rejected) == (10, 0, [])
        assert ProgramIntent.objects.count() == 10

    def test_duplicates_inside_one_batch_are_counted_once(self):
        rows = [row(), row(), row(lms_user_id="43"), row(effective_timestamp="2022-07-01T00:00:00+00:00")]
        result = services.record_intents(rows, batch_size=10)
        assert (result.inserted, result.duplicates) == (2, 2)
        assert ProgramIntent.objects.count() == 2

    def test_duplicates_across_batches_are_counted(self):
        rows = [row(), row(lms_user_id="43"), row(), row(lms_user_id="43"), row(lms_user_id="44")]
        result = services.record_intents(rows, batch_size=2)
        assert (result.inserted, result.duplicates) == (3, 2)

    def test_duplicates_of_recorded_intents_are_counted(self):
        services.record_intent(**intent_fields())
        result = services.record_intents([row(), row(lms_user_id="43")])
        assert (result.inserted, result.duplicates) == (1, 1)
        assert ProgramIntent.objects.count() == 2

    def test_rerunning_a_load_creates_nothing(self):
        rows = [row(lms_user_id=str(n)) for n in range(1, 8)]
        services.record_intents(rows, batch_size=3)
        again = services.record_intents(rows, batch_size=3)
        assert (again.inserted, again.duplicates) == (0, 7)
        assert ProgramIntent.objects.count() == 7

    def test_bad_rows_are_rejected_and_good_rows_still_load(self):
        bad = row(program_uuid="not-a-uuid", line=3)
        rows = [row(lms_user_id="1"), bad, row(lms_user_id="2")]
        result = services.record_intents(rows, batch_size=10)
        assert (result.inserted, result.duplicates) == (2, 0)
        [rejected] = result.rejected
        assert rejected.row is bad
        assert set(rejected.errors) == {"program_uuid"}
        assert result.rows == 3

    def test_a_batch_of_only_bad_rows_writes_nothing(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            result = services.record_intents([row(reason="NOPE"), row(certainty="NOPE")])
        assert len(result.rejected) == 2

    def test_each_batch_is_one_insert(self, django_assert_max_num_queries):
        rows = [row(lms_user_id=str(n)) for n in range(1, 101)]
        # 2 batches; each is the read of retired learners, then an insert wrapped in a
        # transaction (plus savepoint bookkeeping).
        with django_assert_max_num_queries(2 * 4):
            services.record_intents(rows, batch_size=50)
        assert ProgramIntent.objects.count() == 100

    def test_yields_one_result_per_batch(self):
        rows = [row(lms_user_id=str(n)) for n in range(1, 6)]
        results = list(services.iter_record_intents(rows, batch_size=2))
        assert [r.inserted for r in results] == [2, 2, 1]

    def test_microseconds_distinguish_intents_and_survive_the_batch_path(self):
        rows = [
            row(effective_timestamp="2022-07-01T00:00:00.000001Z"),
            row(effective_timestamp="2022-07-01T00:00:00.000002Z"),
        ]
        assert services.record_intents(rows).inserted == 2
        stamps = sorted(ProgramIntent.objects.values_list("effective_timestamp", flat=True))
        assert [s.microsecond for s in stamps] == [1, 2]

    def test_batch_rows_match_a_single_record(self):
        services.record_intents([row()])
        _, created = services.record_intent(**intent_fields())
        assert created is False

    def test_batch_size_must_be_positive(self):
        with pytest.raises(ValueError, match="batch_size"):
            services.record_intents([row()], batch_size=0)


class Counted:
    """The rows of a load, counting how many have been read."""

    def __init__(self, rows, fail_after=None):
        self.rows, self.read, self.fail_after = rows, 0, fail_after

    def __iter__(self):
        for item in self.rows:
            if self.read == self.fail_after:
                raise OSError("disk gone")
            self.read += 1
            yield item


@pytest.mark.django_db
class TestCheckAhead:
    def test_the_next_batch_is_read_while_this_one_is_written(self):
        rows = Counted([row(lms_user_id=str(n)) for n in range(1, 8)])
        read_when_written = [rows.read for _ in services.iter_record_intents(rows, batch_size=3, check_ahead=True)]
        assert read_when_written == [6, 7, 7]
        assert ProgramIntent.objects.count() == 7

    def test_without_it_rows_are_read_batch_by_batch(self):
        rows = Counted([row(lms_user_id=str(n)) for n in range(1, 8)])
        results = services.iter_record_intents(rows, batch_size=3)
        assert [rows.read for _ in results] == [3, 6, 7]

    def test_rows_that_break_off_still_load_what_was_read_before(self):
        rows = Counted([row(lms_user_id=str(n)) for n in range(1, 8)], fail_after=5)
        with pytest.raises(OSError, match="disk gone"):
            for _ in services.iter_record_intents(rows, batch_size=2, check_ahead=True):
                pass
        # Batches 1 and 2 were whole; batch 3 broke off after its first row.
        assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [1, 2, 3, 4]


def statements(context, verb):
    # An executemany is logged as "<n> times: <sql>".
    return [q["sql"] for q in context.captured_queries if re.match(rf"(\d+ times: )?{verb}\b", q["sql"].lstrip())]


@pytest.mark.django_db
class TestReRun:
    """Once a batch was mostly known intents, the next batch reads which rows are recorded first."""

    STAMPS = ["2022-07-01 00:00:00 Z", "2022-07-01T00:00:00.123456Z", "2022-12-31T23:59:59+01:00", "2023-01-01"]

    def rows(self, learners=range(1, 9)):
        return [row(lms_user_id=str(n), effective_timestamp=stamp) for n in learners for stamp in self.STAMPS]

    @pytest.fixture(autouse=True)
    def refusals_cost_more(self, monkeypatch):
        # As on MySQL/MariaDB, so that SQLite runs the same path.
        monkeypatch.setattr(writers.BatchWriter, "read_known_rows_first", True)

    def test_a_rerun_sends_no_insert_after_its_first_batch(self, django_assert_max_num_queries):
        services.record_intents(self.rows(), batch_size=8)
        with django_assert_max_num_queries(100) as context:
            again = services.record_intents(self.rows(), batch_size=8)
        assert (again.inserted, again.duplicates) == (0, 32)
        # The first batch is sent (nothing told it apart); each of the 3 others is a read,
        # which recognises every stored row, whatever its timestamp's form, so nothing more is sent.
        assert len(statements(context, "INSERT")) == 1
        assert len([sql for sql in statements(context, "SELECT") if "retiredlearner" not in sql]) == 3
        assert ProgramIntent.objects.count() == 32

    def test_new_rows_after_known_ones_are_still_created(self):
        services.record_intents(self.rows(range(1, 5)), batch_size=8)
        # Batches 1-2 are known learners; batch 3 half known, half new; batch 4 new.
        result = services.record_intents(self.rows(range(1, 5)) + self.rows(range(5, 7)), batch_size=8)
        assert (result.inserted, result.duplicates) == (8, 16)
        assert ProgramIntent.objects.count() == 24
        assert services.record_intents(self.rows(range(1, 7)), batch_size=8).inserted == 0

    def test_a_row_repeated_inside_a_read_first_batch_is_one_duplicate(self):
        services.record_intents(self.rows(range(1, 3)), batch_size=8)
        fresh = row(lms_user_id="99")
        result = services.record_intents([*self.rows(range(1, 3)), fresh, fresh], batch_size=8)
        assert (result.inserted, result.duplicates) == (1, 9)


@pytest.mark.django_db
def test_a_created_text_of_another_form_sends_no_statement(monkeypatch, django_assert_num_queries):
    writer = writers.batch_writer(connection)
    row = writer.row(IntentKey(1, PROGRAM, WHEN, "BUNDLE_PURCHASE", "CERTAIN_YES"))
    monkeypatch.setattr(writer, "_adapt_timestamp", lambda value: "2022-07-02 00:00:00'), (2, 'x")
    with django_assert_num_queries(0), pytest.raises(ValueError, match="not a checked value"):
        writer.insert([row], recorded_at=WHEN)
    assert not ProgramIntent.objects.exists()


@pytest.mark.mysql
@pytest.mark.django_db
class TestMySQLStatements:
    """On MySQL/MariaDB the batch insert writes its VALUES list itself (writers.MySQLBatchWriter)."""

    def test_a_batch_is_sent_in_statements_of_bounded_rows(self, monkeypatch, django_assert_max_num_queries):
        monkeypatch.setattr(writers.MySQLBatchWriter, "STATEMENT_ROWS", 3)
        services.record_intent(**intent_fields(lms_user_id=2))
        rows = [row(lms_user_id=str(n), effective_timestamp=f"2022-07-01T00:00:00.{n:06d}Z") for n in range(1, 8)]
        rows[1] = row(lms_user_id="2")
        with django_assert_max_num_queries(10) as context:
            result = services.record_intents(rows)
        assert (result.inserted, result.duplicates) == (6, 1)
        assert len(statements(context, "INSERT")) == 3
        stored = ProgramIntent.objects.filter(lms_user_id__in=[1, 3, 7]).order_by("lms_user_id")
        assert [intent.effective_timestamp.microsecond for intent in stored] == [1, 3, 7]

    def test_a_rerun_reads_the_batchs_programs_of_its_learners_not_their_whole_history(
        self, django_assert_max_num_queries
    ):
        """The cost of a re-run's read grows with the batch's own rows, however long its learners' histories."""
        programs = [uuid.uuid4() for _ in range(50)]
        services.record_intents([row(lms_user_id=str(n), program_uuid=str(p)) for n in (1, 2) for p in programs])
        keys = [IntentKey(n, programs[0], WHEN, "BUNDLE_PURCHASE", "CERTAIN_YES") for n in (1, 2)]
        keys.append(IntentKey(1, programs[0], WHEN, "BUNDLE_PURCHASE", "MAYBE"))  # not recorded
        writer = writers.MySQLBatchWriter(connection)
        with django_assert_max_num_queries(1) as context:
            unrecorded = writer.unrecorded({key: writer.row(key) for key in keys})
        assert unrecorded == [writer.row(keys[2])]
        reads = [sql for sql in statements(context, "SELECT") if "retiredlearner" not in sql]
        with connection.cursor() as cursor:
            read_back = sum(cursor.execute(sql) or len(cursor.fetchall()) for sql in reads)
        assert read_back == 2  # the two recorded rows of the batch, not the learners' 100 intents

    def test_the_rerun_read_is_a_range_read_of_the_unique_index(self, django_assert_max_num_queries):
        """Thousands of (learner, program) pairs: never a scan of a whole index tested against the list."""
        programs = [uuid.uuid4() for _ in range(40)]
        services.record_intents(
            [row(lms_user_id=str(n), program_uuid=str(p)) for n in range(1, 1501) for p in programs]
        )
        # A batch's pairs are a sliver of a large table (60,000 intents here, 2,000 pairs).
        keys = [IntentKey(n, p, WHEN, "BUNDLE_PURCHASE", "CERTAIN_YES") for n in range(1, 51) for p in programs]
        writer = writers.MySQLBatchWriter(connection)
        with django_assert_max_num_queries(1) as context:
            writer.unrecorded({key: writer.row(key) for key in keys})
        (read,) = [q["sql"] for q in context.captured_queries]
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {read}")
            columns = [column[0] for column in cursor.description]
            plan = [dict(zip(columns, line, strict=True)) for line in cursor.fetchall()]
        assert [(step["type"], step["key"]) for step in plan] == [("range", "program_intent_unique")]

    def test_a_row_is_its_keys_sql_literals(self):
        writer = writers.MySQLBatchWriter(connection)
        assert writer.row(IntentKey(1, PROGRAM, WHEN, "BUNDLE_PURCHASE", "CERTAIN_YES")) == (
            f"1, '{PROGRAM}', '2022-07-01 00:00:00.000000', 'BUNDLE_PURCHASE', 'CERTAIN_YES'"
        )

    @pytest.mark.parametrize(
        "text", ["x', 'y", PROGRAM.hex.upper(), f"{PROGRAM.hex}'", f"{PROGRAM}\\", f"{PROGRAM}\n", "\uff10" * 32]
    )
    def test_a_program_text_of_another_form_is_refused(self, monkeypatch, text):
        # The allowlist stands whatever the adapters upstream produce.
        monkeypatch.setattr(writers.BatchWriter, "_adapt_program", lambda self, program: text)
        with pytest.raises(ValueError, match="not a checked value"):
            writers.MySQLBatchWriter(connection).row(IntentKey(1, PROGRAM, WHEN, "BUNDLE_PURCHASE", "CERTAIN_YES"))

    @pytest.mark.parametrize(
        "text", ["2022\\", "'", "2022-07-01 00:00:00.000000'; --", "٢٠٢٢-07-01 00:00:00.000000", "2022-07-01"]
    )
    def test_a_timestamp_text_of_another_form_is_refused(self, monkeypatch, text):
        writer = writers.MySQLBatchWriter(connection)
        monkeypatch.setattr(writer, "_adapt_timestamp", lambda value: text)
        with pytest.raises(ValueError, match="not a checked value"):
            writer.row(IntentKey(1, PROGRAM, WHEN, "BUNDLE_PURCHASE", "CERTAIN_YES"))

    @pytest.mark.parametrize(
        "key",
        [
            IntentKey("1) --", PROGRAM, WHEN, "BUNDLE_PURCHASE", "CERTAIN_YES"),
            IntentKey(True, PROGRAM, WHEN, "BUNDLE_PURCHASE", "CERTAIN_YES"),
            IntentKey(1, PROGRAM, WHEN, "GUESSED', 'x", "CERTAIN_YES"),
            IntentKey(1, PROGRAM, WHEN, "BUNDLE_PURCHASE", "' OR 1=1 --"),
        ],
    )
    def test_an_id_or_name_of_another_form_is_refused(self, key):
        with pytest.raises(ValueError, match="not a checked value"):
            writers.MySQLBatchWriter(connection).row(key)


@pytest.mark.django_db
class TestDryRun:
    def test_counts_what_a_load_would_do_and_writes_nothing(self, django_assert_num_queries):
        services.record_intent(**intent_fields())
        rows = [row(), row(lms_user_id="43"), row(lms_user_id="43"), row(reason="NOPE"), row(lms_user_id="44")]
        # The read of retired learners, and that of recorded rows.
        with django_assert_num_queries(2) as context:
            result = services.record_intents(rows, dry_run=True)
        assert all(query["sql"].lstrip().upper().startswith("SELECT") for query in context.captured_queries)
        assert (result.inserted, result.duplicates, len(result.rejected)) == (2, 2, 1)
        assert ProgramIntent.objects.count() == 1

    def test_agrees_with_the_load_that_follows(self):
        services.record_intents([row(lms_user_id=str(n)) for n in range(1, 5)])
        rows = [row(lms_user_id=str(n), certainty=c) for n in range(1, 9) for c in ("CERTAIN_YES", "MAYBE")]
        dry = services.record_intents(rows, dry_run=True, batch_size=100)
        real = services.record_intents(rows, batch_size=100)
        assert (dry.inserted, dry.duplicates) == (real.inserted, real.duplicates) == (12, 4)

    def test_a_repeat_from_an_earlier_batch_is_counted_as_new(self):
        # Documented: a dry run does not remember the batches it did not write.
        result = services.record_intents([row(), row()], dry_run=True, batch_size=1)
        assert (result.inserted, result.duplicates) == (2, 0)

    def test_reads_learners_in_chunks(self, django_assert_num_queries, monkeypatch):
        monkeypatch.setattr(base, "LOOKUP_CHUNK", 3)
        monkeypatch.setattr(writers.MySQLBatchWriter, "PAIRS_PER_READ", 3)
        rows = [row(lms_user_id=str(n)) for n in range(1, 8)]
        # The retired learners in one read, the recorded rows in 3.
        with django_assert_num_queries(1 + 3):
            result = services.record_intents(rows, dry_run=True)
        assert result.inserted == 7


@pytest.mark.django_db
def test_timestamps_are_stored_as_django_would_store_them():
    """The batch path's timestamp adaptation (a shortcut where the backend allows) matches Django's."""
    stamps = ["2022-07-01T00:00:00Z", "2022-07-01T00:00:00.123456Z", "2022-12-31T23:59:59+01:00"]
    services.record_intents([row(lms_user_id=str(n), effective_timestamp=s) for n, s in enumerate(stamps, 1)])
    for n, stamp in enumerate(stamps, 1):
        # A query with the ORM's own adaptation of the same instant finds the row.
        assert ProgramIntent.objects.filter(lms_user_id=n, effective_timestamp=parse_timestamp(stamp)).exists()
