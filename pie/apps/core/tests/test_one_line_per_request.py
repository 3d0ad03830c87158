"""
One log line per request in every mode: under runserver (no access line, no django.request
warnings) and for a streamed response (no ``streaming_finished`` line after the request's).
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import structlog
from django.http import StreamingHttpResponse
from django.test import RequestFactory
from django_structlog.middlewares import RequestMiddleware
from django_structlog.middlewares import request as middleware_module

ROOT = Path(__file__).resolve().parents[4]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_runserver_writes_only_the_json_line(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "pie.settings.local", "DATABASE_URL": f"sqlite:///{tmp_path}/db"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out, err = tmp_path / "out", tmp_path / "err"
    with out.open("w") as stdout, err.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"http://127.0.0.1:{port}/health/")
                break
            except OSError:
                assert time.monotonic() < deadline, err.read_text()
                time.sleep(0.2)
        before_out, before_err = len(out.read_text().splitlines()), err.read_text()
        assert _get(f"http://127.0.0.1:{port}/nope/") == 404
        assert _get(f"http://127.0.0.1:{port}/api/v1/program_intents/most_recent_and_certain/") == 401
        time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    lines = out.read_text().splitlines()[before_out:]
    assert [json.loads(line.strip())["status"] for line in lines] == [404, 401]
    assert err.read_text() == before_err  # no access line, no "Not Found", no "Unauthorized"


@pytest.mark.django_db
def test_a_streamed_response_is_one_line(capfd, monkeypatch):
    # A logger made now writes to this test's standard output (the module's was made earlier).
    monkeypatch.setattr(middleware_module, "logger", structlog.get_logger(middleware_module.__name__))

    def view(request):
        return StreamingHttpResponse(iter([b"a", b"b"]))

    response = RequestMiddleware(view)(RequestFactory().get("/static/x.css"))
    assert b"".join(response.streaming_content) == b"ab"
    events = [json.loads(line)["event"] for line in capfd.readouterr().out.splitlines()]
    assert events == ["request_finished"]
