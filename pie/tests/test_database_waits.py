"""
A database that accepts TCP and never answers (ADR 18): every connection gives up within its
connect timeout, and the serving processes' statements within their read timeout, so
``/health/`` answers 503 in seconds; the other commands' statements have no such limit.
"""

import json
import os
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from pie.tests.production import full_production_env, without_configuration
from pie.tests.sockets import SilentServer
from pie.tests.support.gunicorn import ROOT, get, production_env, start_server
from pie.tests.support.processes import TcpProxy

pytest.importorskip("MySQLdb", reason="the MySQL driver is installed by make test-mysql")

PARAMS = """
import json, sys
if sys.argv[1] == "wsgi":
    import pie.wsgi
else:
    import django
    django.setup()
from django.db import connection
params = connection.get_connection_params()
print(json.dumps({k: params.get(k) for k in ("connect_timeout", "read_timeout", "write_timeout")}))
"""


def connection_params(entry: str, **env: str) -> dict:
    """The options a connection of ``entry``'s process would open with (nothing connects)."""
    child_env = {
        **without_configuration(os.environ),
        **full_production_env(database_url="mysql://pie:secret@db.internal:3306/pie"),
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", PARAMS, entry], cwd=ROOT, env=child_env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_the_web_process_bounds_reads_and_writes_and_other_processes_only_the_connect():
    assert connection_params("wsgi") == {"connect_timeout": 3, "read_timeout": 5, "write_timeout": 5}
    # A command (migrate, bulk_insert_intents): its long statements run as long as they take.
    assert connection_params("command") == {"connect_timeout": 3, "read_timeout": None, "write_timeout": None}
    configured = connection_params(
        "wsgi",
        DATABASE_CONNECT_TIMEOUT_SECONDS="7",
        DATABASE_READ_TIMEOUT_SECONDS="20",
        DATABASE_WRITE_TIMEOUT_SECONDS="0",
    )
    assert configured == {"connect_timeout": 7, "read_timeout": 20, "write_timeout": None}


def timed_get(port: int, path: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    status, content_type, body = get(port, path, timeout=60)
    assert content_type == "application/json"
    return status, json.loads(body), time.monotonic() - started


def test_health_is_503_within_10_s_when_the_database_accepts_and_never_answers():
    with SilentServer() as silent:
        process, port = start_server(
            f"mysql://root:@127.0.0.1:{silent.port}/pie_ops", migrate=False, settings=production_env()
        )
        try:
            status, body, took = timed_get(port, "/health/")
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert status == 503
    assert (body["error_code"], body["status"]) == ("database_unavailable", "UNAVAILABLE")
    # The connect timeout (3 s) and the request's own time; not the driver's default (10 s), nor for good.
    assert took < 8


@pytest.fixture
def server_through_proxy(transactional_db):
    """PIE under gunicorn (production settings) on this test's MariaDB database, through a TcpProxy."""
    db = settings.DATABASES["default"]
    host, port = db["HOST"] or "127.0.0.1", int(db["PORT"] or 3306)
    proxy = TcpProxy((host, port)).start()
    user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
    # Shorter bounds than the defaults, so the test's deadline stays generous on a busy machine.
    env = {**production_env(), "DATABASE_CONNECT_TIMEOUT_SECONDS": "2", "DATABASE_READ_TIMEOUT_SECONDS": "2"}
    process, server_port = start_server(
        f"mysql://{user}:{password}@127.0.0.1:{proxy.port}/{db['NAME']}", migrate=False, settings=env
    )
    yield proxy, server_port
    process.terminate()
    process.wait(timeout=30)
    proxy.stop()


@pytest.mark.mysql
def test_a_kept_connection_that_stops_answering_is_a_503_within_seconds(server_through_proxy):
    assert connection.vendor == "mysql"
    proxy, port = server_through_proxy
    status, body, _ = timed_get(port, "/health/")
    assert (status, body["status"]) == (200, "OK")  # the worker keeps its connection (CONN_MAX_AGE)

    proxy.hang()
    status, body, took = timed_get(port, "/health/")
    assert (status, body["error_code"]) == (503, "database_unavailable")
    assert took < 10  # the kept connection's check (a read: 2 s), then a new connection's (2 s)

    proxy.resume()
    status, body, _ = timed_get(port, "/health/")
    assert (status, body["status"]) == (200, "OK")
