"""
The operator's make targets: ``make run``'s port (PORT, HOST_PORT) and its one line for a busy
port, ``make help``'s alignment, and the one line naming what mysqlclient needs to build.
"""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _make(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_port_and_host_port_name_the_address():
    assert "runserver 127.0.0.1:18781" in _make("-n", "run").stdout
    assert "runserver 127.0.0.1:18799" in _make("-n", "run", "PORT=18799").stdout
    assert "runserver 0.0.0.0:18798" in _make("-n", "run", "HOST_PORT=0.0.0.0:18798").stdout


def test_a_busy_port_is_one_line_naming_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "scripts/port_free.py", f"127.0.0.1:{port}"], cwd=ROOT, capture_output=True, text=True
        )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert f"127.0.0.1:{port} is not free" in done.stderr
    assert f"make run PORT={port + 1}" in done.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert subprocess.run([sys.executable, "scripts/port_free.py", f"127.0.0.1:{free}"], cwd=ROOT).returncode == 0


def test_help_aligns_every_description():
    lines = _make("help").stdout.splitlines()
    names = {line.split()[0] for line in lines}
    assert {"migrate", "static", "shell", "production-requirements", "check-container-commands"} <= names
    columns = {re.match(r"  \S+\s+", line).end() for line in lines}
    assert len(columns) == 1


def test_missing_build_packages_are_one_line(tmp_path):
    # No pkg-config, no compiler on PATH: the check names them and installs nothing.
    done = subprocess.run(
        ["/bin/sh", "scripts/mysql-build-deps.sh", "--check"],
        cwd=ROOT,
        env={"PATH": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "install pkg-config libmariadb-dev gcc" in done.stderr
