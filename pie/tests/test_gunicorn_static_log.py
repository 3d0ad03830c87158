"""Under gunicorn a static file (a streamed response) writes one request line, no ``streaming_finished``."""

import json
import os
import subprocess
import sys

from pie.tests.support.gunicorn import ROOT, get, start_server


def test_a_static_file_is_one_line(tmp_path):
    static = {"STATIC_ROOT": str(tmp_path / "static"), "DJANGO_SETTINGS_MODULE": "pie.settings.test"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env={**os.environ, **static},
        check=True,
    )
    out = tmp_path / "stdout.log"
    with out.open("wb") as stdout, (tmp_path / "stderr.log").open("wb") as stderr:
        process, port = start_server(
            f"sqlite:///{tmp_path / 'db.sqlite3'}", settings=static, stdout=stdout, stderr=stderr
        )
    try:
        status, _, body = get(port, "/static/admin/css/base.css")
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert (status, len(body) > 0) == (200, True)
    lines = [json.loads(line) for line in out.read_text().splitlines() if line.startswith("{")]
    # Every line is a request's (the server's readiness probes included), the static file's one.
    assert {line["event"] for line in lines} == {"request_finished"}
    assert [line["status"] for line in lines if line["path"] == "/static/admin/css/base.css"] == [200]
