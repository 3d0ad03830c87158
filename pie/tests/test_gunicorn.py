"""The shipped server configuration (pie/docker_gunicorn_configuration.py), tested through gunicorn itself."""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

import pytest

from pie.apps.core.tokens import mint_lms_jwt

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """gunicorn with PIE's configuration module, on the test settings and a SQLite file of its own."""
    port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="pie.settings.test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'server.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
    )
    env.pop("PYTHONPATH", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    config = ROOT / "pie" / "docker_gunicorn_configuration.py"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(config), "pie.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                connection = HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/health/")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not answer: {process.stderr.read1().decode()}")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_get_naming_the_most_programs_allowed_is_served(server):
    query = urlencode([("program_uuid", str(uuid.uuid4())) for _ in range(100)])
    assert len(query) > 4094  # longer than gunicorn's default request line
    token = mint_lms_jwt(lms_user_id=7, username="learner7")
    connection = HTTPConnection("127.0.0.1", server, timeout=10)
    connection.request(
        "GET", f"/api/v1/program_intents/most_recent_and_certain/?{query}", headers={"Authorization": f"JWT {token}"}
    )
    response = connection.getresponse()
    assert response.status == 200
    assert json.loads(response.read()) == []
