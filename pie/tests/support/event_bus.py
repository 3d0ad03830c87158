"""
Fixtures of the event-bus tests: the real Redis, a database shared with child processes, and
a database that refuses one learner's intents.

Tests that need Redis skip, with the reason, where none answers; under
``PIE_TEST_REQUIRE_REDIS=1`` (set by .ci/run) they fail instead.
"""

import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection, connections

ROOT = Path(settings.BASE_DIR)


@dataclass
class EventBus:
    """The test's own streams on the real Redis: every key starts with ``prefix``."""

    client: redis.Redis
    url: str
    prefix: str

    @property
    def stream(self) -> str:
        """The stream of the program-certificate topic, under the test's prefix."""
        return f"{self.prefix}-{settings.PIE_EVENT_BUS_CERTIFICATE_TOPIC}"

    def length(self) -> int:
        return self.client.xlen(self.stream)

    def pending(self) -> int:
        """Messages delivered to a consumer of PIE's group and not acknowledged."""
        return self.client.xpending(self.stream, settings.PIE_EVENT_BUS_GROUP)["pending"]


@pytest.fixture
def event_bus(settings) -> EventBus:
    url = settings.EVENT_BUS_REDIS_CONNECTION_URL
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"needs Redis at {url} ({error}): start it, or set EVENT_BUS_REDIS_CONNECTION_URL"
        if os.environ.get("PIE_TEST_REQUIRE_REDIS"):
            pytest.fail(f"PIE_TEST_REQUIRE_REDIS is set, and this test {reason}")
        pytest.skip(reason)
    # A prefix of its own keeps the test's streams apart from anything else on the server.
    settings.EVENT_BUS_TOPIC_PREFIX = f"pie-test-{uuid.uuid4().hex[:12]}"
    bus = EventBus(client=client, url=url, prefix=settings.EVENT_BUS_TOPIC_PREFIX)
    yield bus
    for key in client.scan_iter(f"{bus.prefix}-*"):
        client.delete(key)
    client.close()


@dataclass
class Bus:
    """Redis or Kafka, for the tests of PIE's handling that hold on both: what a consumer process needs."""

    name: str
    prefix: str
    redis_url: str
    env: dict


@pytest.fixture
def bus(request) -> Bus:
    """The real Redis (``event_bus``); parametrised ``indirect`` with ``"kafka"``, the real broker (``kafka_bus``)."""
    if getattr(request, "param", "redis") == "kafka":
        kafka = request.getfixturevalue("kafka_bus")
        return Bus(name="kafka", prefix=kafka.prefix, redis_url="redis://127.0.0.1:1/0", env=kafka.consumer_env())
    redis_bus = request.getfixturevalue("event_bus")
    return Bus(name="redis", prefix=redis_bus.prefix, redis_url=redis_bus.url, env={})


BOTH_BUSES = pytest.mark.parametrize("bus", ["redis", "kafka"], indirect=True)


@dataclass
class SharedDatabase:
    """The database of this test's default connection, which child processes can open too."""

    url: str
    host: str = "127.0.0.1"
    port: int = 3306

    def url_through(self, port: int) -> str:
        """The same database, reached through another port of this host (a proxy's)."""
        return self.url.replace(f"@{self.host}:{self.port}/", f"@127.0.0.1:{port}/")


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("shared") / "migrated.sqlite3"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{path}", DJANGO_SETTINGS_MODULE="pie.settings.local")
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    return path


@pytest.fixture
def shared_database(transactional_db, request, tmp_path) -> SharedDatabase:
    """
    A database that this test and its child processes both see, as the default connection.

    On MySQL/MariaDB it is the test database (the test is transactional, so the children's
    commits are visible). SQLite's test database lives in this process's memory, so the
    default connection is pointed at a migrated file for the length of the test.
    """
    if connection.vendor != "sqlite":
        db = settings.DATABASES["default"]
        user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
        host, port = db["HOST"] or "127.0.0.1", int(db["PORT"] or 3306)
        yield SharedDatabase(url=f"mysql://{user}:{password}@{host}:{port}/{db['NAME']}", host=host, port=port)
        return
    path = tmp_path / "shared.sqlite3"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
    original = connections["default"]
    shared = original.__class__({**original.settings_dict, "NAME": str(path)}, "default")
    connections["default"] = shared
    try:
        yield SharedDatabase(url=f"sqlite:///{path}")
    finally:
        shared.close()
        connections["default"] = original


_REFUSAL_TRIGGER = "pie_test_refuse_intents"


@pytest.fixture
def refuse_intents_of():
    """
    Make the database itself refuse to store one learner's intents (a trigger), as it refuses
    a value it cannot hold; ``refuse_intents_of(None)`` lifts the refusal.
    """

    def refuse(lms_user_id: int | None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS {_REFUSAL_TRIGGER}")
            if lms_user_id is None:
                return
            if connection.vendor == "sqlite":
                cursor.execute(
                    f"CREATE TRIGGER {_REFUSAL_TRIGGER} BEFORE INSERT ON intents_programintent "
                    f"WHEN NEW.lms_user_id = {int(lms_user_id)} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
                )
            else:
                cursor.execute(
                    f"CREATE TRIGGER {_REFUSAL_TRIGGER} BEFORE INSERT ON intents_programintent FOR EACH ROW "
                    f"BEGIN IF NEW.lms_user_id = {int(lms_user_id)} THEN "
                    "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test'; END IF; END"
                )

    yield refuse
    refuse(None)
