"""
Redis down: each demo producer and each consumer command says so in one line on standard
error, exits non-zero, prints no traceback and no user field of the event.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]


def _refused_url() -> str:
    with socket.socket() as sock:  # a port nothing listens on once the socket closes
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://:not-a-password@127.0.0.1:{port}/0"


@pytest.mark.parametrize(
    "command",
    [
        ["produce_demo_certificate_event"],
        ["produce_demo_enrollments"],
        ["consume_certificate_events"],
        ["consume_course_events", "enrollment"],
    ],
)
def test_redis_down_is_one_line(command, tmp_path):
    url = _refused_url()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pie.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "EVENT_BUS_REDIS_CONNECTION_URL": url,
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    done = subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Connection refused" in lines[0]
    assert url.rsplit(":", 1)[-1].split("/")[0] in lines[0]
    for secret in ("Traceback", "demo-learner", "@example.com", "not-a-password", "no consumer configured"):
        assert secret not in done.stderr
