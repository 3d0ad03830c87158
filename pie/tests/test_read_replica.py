"""
PIE served by gunicorn on a real MariaDB primary and its GTID replica (ADR 0030): which
reads the replica answers, read-your-writes while it lags, the staff counts catching up,
and a killed replica costing one bounded wait. Marked ``mysql``: ``make test-mysql`` (and
``.ci/run``, with ``PIE_TEST_REQUIRE_REPLICA=1``) runs them; ``make test`` lists them skipped.
"""

import time

import pytest

from pie.tests.support.gunicorn import start_server
from pie.tests.support.processes import TcpProxy
from pie.tests.support.replication import DATABASE, call, replication_or_skip, token

pytestmark = [pytest.mark.mysql, pytest.mark.replica]

PROGRAM = "3a000000-0000-0000-0000-000000000030"
OTHER_PROGRAM = "3b000000-0000-0000-0000-000000000030"
# Keys no replicated row can have: learners and ids far above the tests' own.
REPLICA_ONLY_LEARNER = 900_000_011
REPLICA_ONLY_ID = 10**12


def _record(port: int, lms_user_id: int, program: str) -> None:
    body = {"program_uuid": program, "reason": "LEARNER_STATED", "certainty": "CERTAIN_YES"}
    status, _, answer = call(port, "POST", "/api/v1/program_intents/", token(lms_user_id), body)
    assert status == 201, answer


def _programs(port: int, lms_user_id: int) -> set[str]:
    path = "/api/v1/program_intents/most_recent_and_certain/"
    status, _, answer = call(port, "GET", path, token(lms_user_id))
    assert status == 200, answer
    return {intent["program_uuid"] for intent in answer}


def _engagement(port: int) -> tuple[int, str | None]:
    path = f"/api/v1/programs/{PROGRAM}/engagement/"
    status, headers, answer = call(port, "GET", path, token(900, staff=True))
    assert status == 200, answer
    return answer["learners"], headers.get("X-PIE-Replica-Lag")


@pytest.fixture(scope="module")
def served():
    replication = replication_or_skip()
    try:
        process, port = start_server(
            replication.primary.url(),
            settings={"READ_REPLICA_DATABASE_URL": replication.replica.url(), "READ_REPLICA_RETRY_SECONDS": "5"},
            stderr=open(replication.directory / "gunicorn.log", "wb"),  # noqa: SIM115
        )
        try:
            replication.caught_up()
            yield replication, port
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        replication.stop()


def test_rows_only_on_the_replica_are_read_by_the_learner_and_the_staff_count(served):
    replication, port = served
    _record(port, 11, PROGRAM)
    replication.caught_up()
    replication.replica.sql(
        f"INSERT INTO {DATABASE}.intents_programintent "
        "(id, lms_user_id, program_uuid, reason, certainty, effective_timestamp, created) "
        f"SELECT {REPLICA_ONLY_ID}, {REPLICA_ONLY_LEARNER}, program_uuid, reason, certainty, effective_timestamp, "
        f"created FROM {DATABASE}.intents_programintent WHERE lms_user_id = 11"
    )
    assert _programs(port, REPLICA_ONLY_LEARNER) == {PROGRAM}  # the writer has no such row
    assert _engagement(port) == (2, "0 transactions")


def test_a_learner_reads_their_write_while_the_replica_lags_and_staff_counts_catch_up(served):
    replication, port = served
    replication.stop_applying()
    try:
        _record(port, 12, OTHER_PROGRAM)
        assert _programs(port, 12) == {OTHER_PROGRAM}  # from the writer: the replica lacks it
        _record(port, 13, PROGRAM)
        learners, lag = _engagement(port)
        assert learners == 2  # the replica's count, without learner 13's write
        assert lag is not None
        assert int(lag.split()[0]) >= 2
        assert _programs(port, REPLICA_ONLY_LEARNER) == {PROGRAM}  # a learner who did not write: the replica
    finally:
        replication.resume_applying()
    replication.caught_up()
    assert _engagement(port) == (3, "0 transactions")


def test_a_hanging_replica_costs_one_bounded_wait_then_the_writer_answers(served):
    replication, _ = served
    proxy = TcpProxy(("127.0.0.1", replication.replica.port)).start()
    url = f"mysql://pie:@127.0.0.1:{proxy.port}/{DATABASE}"
    process, port = start_server(replication.primary.url(), migrate=False, settings={"READ_REPLICA_DATABASE_URL": url})
    try:
        assert _engagement(port) == (3, "0 transactions")
        proxy.hang()  # accepts, never answers
        started = time.monotonic()
        assert _engagement(port) == (2, None)  # the writer's count
        assert time.monotonic() - started < 10
        for _ in range(3):
            started = time.monotonic()
            assert _engagement(port) == (2, None)
            assert time.monotonic() - started < 1.5
    finally:
        process.terminate()
        process.wait(timeout=30)
        proxy.stop()


def test_a_killed_replica_costs_one_bounded_wait_then_the_writer_answers(served):
    replication, port = served
    replication.replica.kill()
    started = time.monotonic()
    assert _programs(port, REPLICA_ONLY_LEARNER) == set()  # the writer: the replica-only row is gone
    first = time.monotonic() - started
    assert first < 10
    for _ in range(3):
        started = time.monotonic()
        learners, lag = _engagement(port)
        assert (learners, lag) == (2, None)  # the writer's count (11 and 13), no lag header
        assert time.monotonic() - started < 1.5
    status, _, health = call(port, "GET", "/health/", token(900))
    assert status == 200
    assert health["detailed_status"]["read_replica"]["state"] == "SKIPPED"
