"""
What reads where with a ``read_replica`` alias (ADR 0030), in process on either backend:
the alias here is a second connection to the test database, wrapped to refuse or record
every statement. The real replica's behaviour (lag, a killed server) is
``pie/tests/test_read_replica.py``'s.
"""

import json

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import override_settings

from pie.apps.core import replica
from pie.apps.core.tokens import mint_lms_jwt
from pie.apps.engagement.services import evaluate_learner
from pie.apps.intents.models import ProgramIntent
from pie.tests.support.api_clients import CREATE_URL

PROGRAM = "30000000-0000-0000-0000-000000000030"
MOST_RECENT = f"{CREATE_URL}most_recent_and_certain/"
ENGAGEMENT = f"/api/v1/programs/{PROGRAM}/engagement/"
INTENT = {"program_uuid": PROGRAM, "reason": "LEARNER_STATED", "certainty": "CERTAIN_YES"}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def with_replica(settings):
    """A ``read_replica`` alias on the test database, the breaker closed and the cache empty."""
    entry = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    connections.settings[replica.REPLICA] = entry
    settings.DATABASES = {**settings.DATABASES, replica.REPLICA: entry}
    replica._skip_until = 0.0
    cache.clear()
    connection = connections[replica.REPLICA]
    # The test case refuses to open aliases it was not told of: this one opens here.
    connection.connect()
    yield connection
    connections[replica.REPLICA].close()
    del connections[replica.REPLICA]
    del connections.settings[replica.REPLICA]
    replica._skip_until = 0.0
    cache.clear()


def _refuse(execute, sql, params, many, context):
    raise AssertionError(f"a statement on the replica: {sql}")


def test_writes_locking_reads_evaluation_and_authentication_never_touch_the_replica(
    with_replica, client_with_token, staff
):
    learner = client_with_token(mint_lms_jwt(lms_user_id=7, username="learner7"))
    retirement = client_with_token(mint_lms_jwt(lms_user_id=1, username="admin", extra_claims={"superuser": True}))
    with with_replica.execute_wrapper(_refuse):
        assert learner.post(CREATE_URL, INTENT, format="json").status_code == 201
        bulk = {"intents": [{**INTENT, "lms_user_id": 8, "effective_timestamp": "2024-01-01T00:00:00Z"}]}
        response = staff.post(f"{CREATE_URL}bulk/", json.dumps(bulk), content_type="application/json")
        assert response.status_code == 200, response.content
        # The same body again: the bulk re-run read finds the recorded row.
        assert staff.post(f"{CREATE_URL}bulk/", json.dumps(bulk), content_type="application/json").status_code == 200
        assert retirement.post("/api/v1/retire_user/", {"lms_user_id": 8}, format="json").status_code == 204
        evaluate_learner(7)
    assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [7]


def test_a_learner_who_did_not_write_reads_the_replica_and_one_who_wrote_reads_the_writer(
    with_replica, client_with_token
):
    reader = client_with_token(mint_lms_jwt(lms_user_id=7, username="learner7"))
    writer = client_with_token(mint_lms_jwt(lms_user_id=9, username="learner9"))
    assert writer.post(CREATE_URL, INTENT, format="json").status_code == 201
    seen: list[str] = []

    def record(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with with_replica.execute_wrapper(record):
        assert reader.get(MOST_RECENT).status_code == 200
        assert seen, "the learner's read went to the writer"
        seen.clear()
        answer = writer.get(MOST_RECENT)
    assert [intent["program_uuid"] for intent in answer.json()] == [PROGRAM]
    # Only the read-your-writes check may touch the replica (MariaDB's GTID wait), not the read.
    assert all("MASTER_GTID_WAIT" in sql for sql in seen)


def test_a_cache_that_cannot_answer_sends_the_learner_to_the_writer(with_replica, client_with_token):
    nothing_listens = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client = client_with_token(mint_lms_jwt(lms_user_id=7, username="learner7"))
    with override_settings(CACHES=nothing_listens), with_replica.execute_wrapper(_refuse):
        response = client.get(MOST_RECENT)
    assert response.status_code == 200


def test_staff_counts_read_the_replica_and_say_so_and_a_failing_replica_is_skipped(with_replica, staff):
    seen: list[str] = []

    def record(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with with_replica.execute_wrapper(record):
        response = staff.get(ENGAGEMENT)
    assert response.status_code == 200
    assert replica.LAG_HEADER in response.headers
    assert seen

    def fail(execute, sql, params, many, context):
        from django.db import OperationalError

        raise OperationalError("the replica is gone")

    with with_replica.execute_wrapper(fail):
        response = staff.get(ENGAGEMENT)
        assert response.status_code == 200
        assert replica.LAG_HEADER not in response.headers
    with with_replica.execute_wrapper(_refuse):  # the breaker is open: not even tried
        assert staff.get(ENGAGEMENT).status_code == 200
    assert replica.replica_state()["state"] == "SKIPPED"


def test_without_a_replica_every_read_is_the_writers_and_health_is_as_before(client, staff):
    assert not replica.configured()
    response = staff.get(ENGAGEMENT)
    assert response.status_code == 200
    assert replica.LAG_HEADER not in response.headers
    assert "read_replica" not in client.get("/health/").json()


@pytest.mark.parametrize(
    ("writer", "replica_position", "behind"),
    [("0-1-10", "0-1-10", 0), ("0-1-12", "0-1-10", 2), ("0-1-5,1-1-3", "0-1-5", 3), ("", "", 0), ("0-1-4", "", 4)],
)
def test_the_gtid_gap_counts_the_transactions_the_replica_lacks(writer, replica_position, behind):
    assert replica.gtid_gap(writer, replica_position) == behind
