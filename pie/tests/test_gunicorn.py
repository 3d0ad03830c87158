"""The shipped server configuration (pie/docker_gunicorn_configuration.py), tested through gunicorn itself."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

import pytest

from pie.apps.core.tokens import mint_lms_jwt
from pie.tests.production import full_production_env

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env() -> dict:
    """Production settings as an operator would give them, trusting the development key the tests sign with."""
    from pie.apps.core.development_jwt import DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET, DEVSTACK_JWT_ISSUER

    env = full_production_env(database_url="sqlite:///unused.sqlite3", jwk_set=DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET)
    del env["DATABASE_URL"]  # start_server's
    return {**env, "JWT_ISSUERS": json.dumps([DEVSTACK_JWT_ISSUER])}


def start_server(database_url: str, *, migrate: bool = True, settings: dict | None = None, stdout=subprocess.DEVNULL):
    """
    gunicorn with PIE's configuration module on ``database_url`` (the test settings, or
    ``settings``' environment); (process, port).
    """
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pie.settings.test",
        "DATABASE_URL": database_url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        **(settings or {}),
    }
    env.pop("PYTHONPATH", None)
    if migrate:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    config = ROOT / "pie" / "docker_gunicorn_configuration.py"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(config), "pie.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )
    for _ in range(100):
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/schema/")
            connection.getresponse().read()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.terminate()
    pytest.fail(f"gunicorn did not answer: {process.stderr.read1().decode()}")


@pytest.fixture
def server(tmp_path):
    """PIE under gunicorn, on a migrated SQLite file of its own."""
    process, port = start_server(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    yield port
    process.terminate()
    process.wait(timeout=30)


def get(port: int, path: str, *, timeout: float = 10, **headers):
    connection = HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type"), response.read()


def test_a_get_naming_the_most_programs_allowed_is_served(server):
    query = urlencode([("program_uuid", str(uuid.uuid4())) for _ in range(100)])
    assert len(query) > 4094  # longer than gunicorn's default request line
    token = mint_lms_jwt(lms_user_id=7, username="learner7")
    status, _, body = get(
        server, f"/api/v1/program_intents/most_recent_and_certain/?{query}", Authorization=f"JWT {token}"
    )
    assert status == 200
    assert json.loads(body) == []


UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-directory/pie.sqlite3",  # "unable to open database file"
    "mysql": "mysql://root:@127.0.0.1:1/pie",  # connection refused
}


@pytest.fixture(params=sorted(UNREACHABLE))
def database_down(request):
    """PIE under gunicorn whose database cannot be reached (no mocks: a path or a port that is not there)."""
    if request.param == "mysql":
        pytest.importorskip("MySQLdb", reason="the MySQL driver is installed by make test-mysql")
    process, port = start_server(UNREACHABLE[request.param], migrate=False, settings=production_env())
    yield port
    process.terminate()
    process.wait(timeout=30)


def test_a_database_outage_is_503_never_a_401_or_500(database_down):
    token = mint_lms_jwt(lms_user_id=7, username="learner7")
    header_and_payload, _, signature = token.rpartition(".")
    cookies = f"edx-jwt-cookie-header-payload={header_and_payload}; edx-jwt-cookie-signature={signature}"
    for headers in ({"Authorization": f"JWT {token}"}, {"Cookie": cookies, "Use-Jwt-Cookie": "true"}):
        status, content_type, body = get(database_down, "/api/v1/program_intents/most_recent_and_certain/", **headers)
        assert (status, content_type) == (503, "application/json"), body
        assert json.loads(body)["error_code"] == "database_unavailable"
    status, _, body = get(database_down, "/health/")
    assert status == 503
    assert json.loads(body)["error_code"] == "database_unavailable"
    assert json.loads(body)["status"] == "UNAVAILABLE"
    # A session cookie makes a middleware read the session from the database, before the view.
    status, content_type, _ = get(database_down, "/health/", Cookie="sessionid=abc123")
    assert (status, content_type) == (503, "application/json")


def test_health_says_unavailable_when_the_sqlite_file_has_no_schema(tmp_path):
    """A missing SQLite file is created empty by the driver: it answers, but holds no table of PIE's."""
    process, port = start_server(f"sqlite:///{tmp_path / 'empty.sqlite3'}", migrate=False)
    try:
        status, _, body = get(port, "/health/")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert (status, json.loads(body)["status"]) == (503, "UNAVAILABLE")


class Lines:
    """The lines a child process writes to standard output, read as they come (a thread)."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in iter(stream.readline, b""):
            self.lines.append(line.decode())

    def after(self, count: int, *, wait_for: int) -> list[str]:
        """The lines after the first ``count``, once there are at least ``wait_for`` of them (or 10 s)."""
        for _ in range(100):
            if len(self.lines) >= count + wait_for:
                break
            time.sleep(0.1)
        time.sleep(0.3)  # anything written late is counted too
        return self.lines[count:]


def test_each_request_is_one_json_line_on_standard_output(tmp_path):
    process, port = start_server(f"sqlite:///{tmp_path / 'log.sqlite3'}", stdout=subprocess.PIPE)
    try:
        output = Lines(process.stdout)
        before = len(output.after(0, wait_for=1))  # the readiness probes
        token = mint_lms_jwt(lms_user_id=7, username="learner7")
        connection = HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request(
            "GET",
            f"/api/v1/program_intents/most_recent_and_certain/?program_uuid={uuid.uuid4()}",
            headers={"Authorization": f"JWT {token}"},
        )
        response = connection.getresponse()
        response.read()
        (line,) = output.after(before, wait_for=1)
        status, _, _ = get(port, "/health/")
        (anonymous,) = output.after(before + 1, wait_for=1)
    finally:
        process.terminate()
        process.wait(timeout=30)

    record = json.loads(line)
    assert record["request_id"] == response.getheader("X-Request-ID")
    assert uuid.UUID(record["request_id"])
    assert {k: record[k] for k in ("event", "method", "path", "status", "lms_user_id")} == {
        "event": "request_finished",
        "method": "GET",
        "path": "/api/v1/program_intents/most_recent_and_certain/",
        "status": 200,
        "lms_user_id": 7,
    }
    assert isinstance(record["duration_ms"], float)
    assert record["duration_ms"] > 0
    assert "program_uuid" not in line  # no query string
    health = json.loads(anonymous)
    assert (health["path"], health["status"], health["lms_user_id"]) == ("/health/", status, None)
    assert health["request_id"] != record["request_id"]


def test_the_lines_of_concurrent_workers_never_interleave(tmp_path):
    """Two workers of four threads share standard output, unbuffered as in the image: each line stays whole."""
    settings = {"GUNICORN_WORKERS": "2", "PYTHONUNBUFFERED": "1"}
    process, port = start_server(f"sqlite:///{tmp_path / 'log.sqlite3'}", settings=settings, stdout=subprocess.PIPE)
    try:
        output = Lines(process.stdout)
        before = len(output.after(0, wait_for=1))

        def health(_):
            return get(port, "/health/")[0]

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(health, range(400)))
        lines = output.after(before, wait_for=400)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert statuses == [200] * 400
    assert len(lines) == 400
    assert [json.loads(line)["path"] for line in lines] == ["/health/"] * 400


def post(port: int, path: str, body: dict, **headers):
    connection = HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers})
    response = connection.getresponse()
    return response.status, response.read()


def migrated_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pie.settings.test", "DATABASE_URL": url}
    env.pop("PYTHONPATH", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    return url


@pytest.mark.parametrize("outage", ["refused", "silent"])
def test_production_with_its_cache_down_writes_and_stays_healthy_within_a_second(tmp_path, outage):
    """The throttle fails open and /health/ stays 200; the cache's timeouts keep each wait short."""
    from pie.tests.sockets import SilentServer, closed_port

    with SilentServer() as silent:
        cache_port = closed_port() if outage == "refused" else silent.port
        settings = {**production_env(), "CACHE_REDIS_URL": f"redis://127.0.0.1:{cache_port}/0"}
        process, port = start_server(migrated_sqlite(tmp_path / "pie.sqlite3"), migrate=False, settings=settings)
        try:
            token = mint_lms_jwt(lms_user_id=7, username="learner7")
            body = {"program_uuid": str(uuid.uuid4()), "reason": "LEARNER_STATED", "certainty": "MAYBE"}
            started = time.monotonic()
            status, answer = post(port, "/api/v1/program_intents/", body, Authorization=f"JWT {token}")
            health_status, _, health = get(port, "/health/")
            took = time.monotonic() - started
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert status == 201, answer
    assert (health_status, json.loads(health)) == (200, {"status": "OK", "cache": "UNAVAILABLE"})
    assert took < 2  # two cache waits of CACHE_REDIS_TIMEOUT_SECONDS (0.25), not redis-py's 5 s each
