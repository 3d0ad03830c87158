"""PIE under gunicorn with its shipped configuration, as the image runs it: for the tests that need a real server."""

import json
import os
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest

from pie.tests.production import full_production_env

ROOT = Path(__file__).resolve().parents[3]


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


def start_server(
    database_url: str,
    *,
    migrate: bool = True,
    settings: dict | None = None,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.PIPE,
):
    """
    gunicorn with PIE's configuration module on ``database_url`` (the test settings, or
    ``settings``' environment); (process, port). A server that logs much to standard error
    needs it read, or sent to a file (``stderr``).
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
        stderr=stderr,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/schema/")
            connection.getresponse().read()
            return process, port
        except OSError:
            time.sleep(0.1)  # not listening yet: poll again
    process.terminate()
    pytest.fail(f"gunicorn did not answer: {process.stderr.read1().decode() if process.stderr else '(see its log)'}")


def get(port: int, path: str, *, timeout: float = 10, **headers):
    connection = HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type"), response.read()
