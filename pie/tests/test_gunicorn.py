"""The shipped server configuration (pie/docker_gunicorn_configuration.py), tested through gunicorn itself."""

import json
import os
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
from pie.tests.support.gunicorn import ROOT, get, production_env, start_server


@pytest.fixture
def server(tmp_path):
    """PIE under gunicorn, on a migrated SQLite file of its own."""
    process, port = start_server(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    yield port
    process.terminate()
    process.wait(timeout=30)


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
    """
    The lines a child gunicorn writes to standard output, read as they come (a thread), and
    taken a stretch at a time up to a marker: a request of its own, to a path no one else
    asks for. A request's line is written before its answer, so every request answered
    before the marker was sent has its line before the marker's.
    """

    def __init__(self, stream, *, port: int):
        self.lines: list[str] = []
        self._port = port
        self._seen = 0
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in iter(stream.readline, b""):
            with self._changed:
                self.lines.append(line.decode())
                self._changed.notify_all()

    def next_stretch(self) -> list[str]:
        """The lines since the last stretch (or the start), once a marker request's line ends them."""
        marker = f"/marker-{uuid.uuid4().hex}/"
        status, _, _ = get(self._port, marker)
        assert status == 404

        def marker_line() -> int | None:
            return next((n for n in range(self._seen, len(self.lines)) if marker in self.lines[n]), None)

        with self._changed:
            assert self._changed.wait_for(lambda: marker_line() is not None, timeout=30), "no line for the marker"
            end = marker_line()
            stretch, self._seen = self.lines[self._seen : end], end + 1
        return stretch


def test_each_request_is_one_json_line_on_standard_output(tmp_path):
    process, port = start_server(f"sqlite:///{tmp_path / 'log.sqlite3'}", stdout=subprocess.PIPE)
    try:
        output = Lines(process.stdout, port=port)
        output.next_stretch()  # the readiness probes'
        token = mint_lms_jwt(lms_user_id=7, username="learner7")
        connection = HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request(
            "GET",
            f"/api/v1/program_intents/most_recent_and_certain/?program_uuid={uuid.uuid4()}",
            headers={"Authorization": f"JWT {token}"},
        )
        response = connection.getresponse()
        response.read()
        (line,) = output.next_stretch()
        status, _, _ = get(port, "/health/")
        (anonymous,) = output.next_stretch()
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
        output = Lines(process.stdout, port=port)
        output.next_stretch()

        def health(_):
            return get(port, "/health/")[0]

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(health, range(400)))
        lines = output.next_stretch()
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert statuses == [200] * 400
    assert len(lines) == 400
    assert [json.loads(line)["path"] for line in lines] == ["/health/"] * 400


def post_chunked(port: int, path: str, data: bytes, *, content_type: str, **headers):
    """A POST whose body is sent in chunks, without Content-Length (as streaming gzip clients send it)."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    chunks = (data[start : start + 65536] for start in range(0, len(data), 65536))
    connection.request(
        "POST", path, body=chunks, headers={"Content-Type": content_type, **headers}, encode_chunked=True
    )
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def test_a_chunked_body_is_read_within_the_bounds_of_a_body_with_a_length(tmp_path):
    import gzip

    from django.conf import settings

    bulk_bound = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 500_000  # the bulk endpoint takes more than Django
    process, port = start_server(
        f"sqlite:///{tmp_path / 'chunked.sqlite3'}", settings={"PIE_BULK_API_MAX_BYTES": str(bulk_bound)}
    )
    staff = {"Authorization": f"JWT {mint_lms_jwt(lms_user_id=900, username='worker', administrator=True)}"}
    learner = {"Authorization": f"JWT {mint_lms_jwt(lms_user_id=7, username='learner7')}"}
    program = "6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e"
    bulk = "/api/v1/program_intents/bulk/"
    try:
        csv = "user_id,program_uuid,intent_reason,intent_certainty,effective_time\n" + "".join(
            f"{user},{program},LEARNER_STATED,MAYBE,2022-07-01 00:00:00 Z\n" for user in range(1, 2001)
        )
        gzipped = gzip.compress(csv.encode())
        assert post_chunked(port, bulk, gzipped, content_type="text/csv", **staff, **{"Content-Encoding": "gzip"}) == (
            200,
            {"created": 2000, "duplicates": 0, "rejected": []},
        )
        intent = {"program_uuid": program, "reason": "BUNDLE_PURCHASE", "certainty": "MAYBE"}
        stamp = {"effective_timestamp": "2022-07-01T00:00:00Z"}
        # Within the bulk bound, over Django's: the bulk endpoint's own bound applies.
        padded = json.dumps({"intents": [{**intent, **stamp, "lms_user_id": 9}]}).encode()
        padded += b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1000 - len(padded))
        assert post_chunked(port, bulk, padded, content_type="application/json", **staff) == (
            200,
            {"created": 1, "duplicates": 0, "rejected": []},
        )
        status, body = post_chunked(
            port, "/api/v1/program_intents/", json.dumps(intent).encode(), content_type="application/json", **learner
        )
        assert (status, body["lms_user_id"]) == (201, 7)
        # Django's bound, for an endpoint that reads its body whole.
        status, body = post_chunked(
            port, "/api/v1/program_intents/", padded, content_type="application/json", **learner
        )
        assert (status, body["error_code"]) == (413, "request_too_large")
        # Past the largest body PIE takes.
        over = json.dumps({"intents": []}).encode() + b" " * (bulk_bound + 1)
        status, body = post_chunked(port, bulk, over, content_type="application/json", **staff)
        assert (status, body["error_code"]) == (413, "request_too_large")
    finally:
        process.terminate()
        process.wait(timeout=30)


class SlowReader:
    """
    A pipe of one page (the smallest Linux allows) for a child's standard output, read by a
    thread in small pieces: writers find it full and wait, as behind a slow log collector.
    ``finish()`` waits for the end of the output (the server has stopped) and returns it.
    """

    def __init__(self):
        import fcntl

        self._fd, self.write_end = os.pipe()
        fcntl.fcntl(self._fd, fcntl.F_SETPIPE_SZ, 4096)
        self._chunks: list[bytes] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while chunk := os.read(self._fd, 100):
            self._chunks.append(chunk)
        os.close(self._fd)

    def finish(self, *, deadline: float = 60) -> bytes:
        self._thread.join(deadline)
        assert not self._thread.is_alive(), "the server's output did not end"
        return b"".join(self._chunks)


def test_every_request_log_line_is_whole_and_shorter_than_a_pipes_atomic_write(tmp_path):
    """
    Three workers of four threads write to one slowly read pipe: each line is written at
    once, and a write to a pipe is whole only up to PIPE_BUF (4096 bytes), so every line,
    a long path's or a failing request's traceback included, stays under it.
    """
    settings = {
        "DJANGO_SETTINGS_MODULE": "pie.tests.failing_settings",
        "GUNICORN_WORKERS": "3",
        "PYTHONUNBUFFERED": "1",
    }
    output = SlowReader()
    try:
        with open(tmp_path / "stderr.log", "wb") as stderr:  # Django's own log of each failure
            process, port = start_server(
                f"sqlite:///{tmp_path / 'log.sqlite3'}", settings=settings, stdout=output.write_end, stderr=stderr
            )
    finally:
        os.close(output.write_end)  # the server holds its own: the output ends when it stops
    paths = ["/health/", "/fail/40/", "/" + "long/" * 1500, "/fail/", "/" + "%C3%A9" * 1300]  # é: two bytes
    try:

        def call(number):
            return get(port, paths[number % len(paths)])[0]

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(call, range(300)))
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = output.finish()

    assert sorted(set(statuses)) == [200, 404, 500]
    lines = text.split(b"\n")
    assert lines.pop() == b""  # the output ends with a whole line
    records = [json.loads(line) for line in lines]  # each line is one JSON object
    assert max(len(line) + 1 for line in lines) < 4096
    answered = [record for record in records if record["path"] != "/api/schema/"]  # not the readiness probes
    assert len(answered) == 300
    assert {record["path"] for record in answered if record["event"] == "request_failed"} == {"/fail/", "/fail/40/"}
    assert sum(record["event"] == "request_failed" for record in answered) == 120
    long_path = next(record["path"] for record in answered if record["path"].startswith("/long/"))
    assert (len(long_path), long_path[-1]) == (512, "…")  # cut, and says so
    # A traceback keeps its tail: the innermost frames and the exception.
    failed = next(record for record in records if record["path"] == "/fail/40/")
    assert "RuntimeError: a bug deep down: xxx" in failed["exception"]


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
    assert (health_status, json.loads(health)) == (
        200,
        {
            "status": "OK",
            "cache": "UNAVAILABLE",
            "overall_status": "OK",
            "detailed_status": {"database_status": "OK", "cache_status": "UNAVAILABLE"},
        },
    )
    assert took < 2  # two cache waits of CACHE_REDIS_TIMEOUT_SECONDS (0.25), not redis-py's 5 s each
