"""
Two MariaDB servers the tests own: a primary with a binary log and a replica that
replicates it by GTID (``MASTER_USE_GTID=slave_pos``), each in a temporary directory with
its own port and socket. For the tests that run PIE as a server against a real replica.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest

from pie.tests.support.gunicorn import free_port

DATABASE = "pie_replica_test"
USER = "pie"


def _binary(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(path) for path in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if path.exists()), None
    )


def missing_binaries() -> str | None:
    """Why the servers cannot start here (``None``: they can)."""
    missing = [name for name in ("mariadbd", "mariadb-install-db", "mariadb") if _binary(name) is None]
    return f"MariaDB's server binaries are missing ({', '.join(missing)})" if missing else None


class Server:
    """One mariadbd in ``directory``, on ``port``; ``sql`` runs statements as root over its socket."""

    def __init__(self, directory: Path, *, server_id: int, binary_log: bool):
        self.directory, self.port = directory, free_port()
        self.socket = directory / "mysqld.sock"
        data = directory / "data"
        subprocess.run(
            [_binary("mariadb-install-db"), "--no-defaults", f"--datadir={data}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.args = [
            _binary("mariadbd"), "--no-defaults", f"--datadir={data}", f"--socket={self.socket}",
            f"--port={self.port}", "--bind-address=127.0.0.1", f"--pid-file={directory / 'pid'}",
            f"--log-error={directory / 'error.log'}", f"--server-id={server_id}", "--skip-name-resolve",
            "--user=root", "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
            "--performance-schema=OFF", "--skip-log-bin",
        ]  # fmt: skip
        if binary_log:
            self.args[-1] = f"--log-bin={directory / 'binlog'}"
            self.args.append("--binlog-format=ROW")
        self.process = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"mariadbd exited: {(self.directory / 'error.log').read_text()[-2000:]}")
            if subprocess.run(self._client("SELECT 1"), capture_output=True).returncode == 0:
                return
            time.sleep(0.2)
        pytest.fail("mariadbd did not answer in 60 s")

    def _client(self, sql: str) -> list[str]:
        return [_binary("mariadb"), "--no-defaults", f"--socket={self.socket}", "-uroot", "-N", "-B", "-e", sql]

    def sql(self, sql: str) -> str:
        done = subprocess.run(self._client(sql), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{sql}: {done.stderr}")
        return done.stdout.strip()

    def url(self) -> str:
        return f"mysql://{USER}:@127.0.0.1:{self.port}/{DATABASE}"

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def statements(self) -> int:
        """The server's count of statements (Questions), for the benchmarks and tests."""
        return int(self.sql("SHOW GLOBAL STATUS LIKE 'Questions'").split()[-1])


class Replication:
    """A primary and its GTID replica, PIE's database created on the primary and replicated."""

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="pie-replication-"))
        (self.directory / "primary").mkdir()
        (self.directory / "replica").mkdir()
        self.primary = Server(self.directory / "primary", server_id=1, binary_log=True)
        self.replica = Server(self.directory / "replica", server_id=2, binary_log=False)
        self.primary.sql(
            f"CREATE USER '{USER}'@'%'; GRANT ALL ON *.* TO '{USER}'@'%'; "
            f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        self.replica.sql(
            f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={self.primary.port}, "
            f"MASTER_USER='{USER}', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos; START SLAVE"
        )
        self.caught_up()

    def caught_up(self, timeout: float = 30) -> None:
        """Wait until the replica has applied everything the primary has logged."""
        position = self.primary.sql("SELECT @@gtid_binlog_pos")
        if self.replica.sql(f"SELECT MASTER_GTID_WAIT('{position}', {timeout})") != "0":
            pytest.fail(f"the replica did not reach {position}: {self.replica.sql('SHOW SLAVE STATUS')}")

    def stop_applying(self) -> None:
        self.replica.sql("STOP SLAVE SQL_THREAD")

    def resume_applying(self) -> None:
        self.replica.sql("START SLAVE SQL_THREAD")

    def stop(self) -> None:
        self.primary.kill()
        self.replica.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def replication_or_skip() -> Replication:
    """The servers, or a skip saying why (a failure under ``PIE_TEST_REQUIRE_REPLICA``)."""
    reason = missing_binaries()
    if reason:
        if os.environ.get("PIE_TEST_REQUIRE_REPLICA"):
            pytest.fail(f"{reason}, and PIE_TEST_REQUIRE_REPLICA is set")
        pytest.skip(f"{reason}: the read-replica tests need them")
    return Replication()


def token(lms_user_id: int, *, staff: bool = False) -> str:
    """A real LMS JWT (the development key) for the learner, or staff."""
    from pie.apps.core.tokens import mint_lms_jwt

    return mint_lms_jwt(lms_user_id=lms_user_id, username=f"user{lms_user_id}", administrator=staff)


def call(port: int, method: str, path: str, jwt: str, body: dict | None = None, timeout: float = 30):
    """One request to PIE on ``port``: (status, headers, JSON body)."""
    connection = HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Authorization": f"JWT {jwt}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), json.loads(response.read() or b"null")
