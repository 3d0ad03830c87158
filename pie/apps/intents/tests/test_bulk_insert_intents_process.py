"""
bulk_insert_intents as a real process: killed or interrupted part-way, then run again.

The child ``manage.py`` must see the database the test inspects. On SQLite that is a
file made for the test (the suite's own database is in memory); on MariaDB it is the test
database itself, in a transactional test so the child's commits are visible here.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from pie.apps.intents.management.commands.bulk_insert_intents import EXIT_INTERRUPTED, EXIT_ROWS_REJECTED

# On MariaDB the child writes to the test database, so the test must see its commits; on
# SQLite this only costs an empty in-memory flush.
pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
TABLE = "intents_programintent"
KEY_COLUMNS = "lms_user_id, program_uuid, effective_timestamp, reason, certainty"
REASONS = ["BUNDLE_PURCHASE", "ENROLLED_ALL_COURSES", "EARNED_PROGRAM_CERT", "ALL_COURSES_COMPLETE", "LEARNER_STATED"]
CERTAINTIES = ["CERTAIN_YES", "CERTAIN_NO", "MAYBE"]
BATCH = 200
ROWS = 4000


class ChildDatabase:
    """A database shared by the test and the command's child process."""

    def __init__(self, url: str, sqlite_path: Path | None):
        self.url = url
        self.sqlite_path = sqlite_path

    def env(self) -> dict:
        env = dict(os.environ, DATABASE_URL=self.url, DJANGO_SETTINGS_MODULE="pie.settings.local", LOG_LEVEL="INFO")
        env.pop("PYTHONPATH", None)
        return env

    def _query(self, sql: str) -> list[tuple]:
        if self.sqlite_path:
            with sqlite3.connect(self.sqlite_path) as db:
                return db.execute(sql).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def keys(self) -> list[tuple]:
        """Every stored intent's de-duplication key, sorted: the table as a set of facts."""
        return sorted(self._query(f"SELECT {KEY_COLUMNS} FROM {TABLE}"))

    def count(self) -> int:
        return self._query(f"SELECT COUNT(*) FROM {TABLE}")[0][0]

    def clear(self) -> None:
        # Raw SQL: the model refuses deletes, as it should for everything but a test reset.
        if self.sqlite_path:
            with sqlite3.connect(self.sqlite_path) as db:
                db.execute(f"DELETE FROM {TABLE}")
        else:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {TABLE}")


@pytest.fixture
def child_db(tmp_path):
    if connection.vendor == "sqlite":
        path = tmp_path / "child.sqlite3"
        database = ChildDatabase(f"sqlite:///{path}", path)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=database.env(),
            check=True,
        )
        return database
    db = settings.DATABASES["default"]
    user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
    url = f"mysql://{user}:{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"
    return ChildDatabase(url, None)


@pytest.fixture
def intents_file(tmp_path) -> Path:
    """ROWS rows, each a new intent, some repeated, and one bad row."""
    programs = [uuid.UUID(int=n * 7919 + 1, version=4) for n in range(40)]
    lines = ["user_id,program_uuid,intent_reason,intent_certainty,effective_time"]
    for n in range(ROWS):
        if n % 97 == 5:
            lines.append(lines[-3])  # a duplicate of a recent row
        elif n == ROWS // 2:
            lines.append(f"{n + 1},{programs[0]},GUESSED,MAYBE,2022-07-01 00:00:00 Z")
        else:
            day = 1 + n % 28
            lines.append(
                f"{n + 1},{programs[n % 40]},{REASONS[n % 5]},{CERTAINTIES[n % 3]},2022-07-{day:02d} 00:00:00 Z"
            )
    path = tmp_path / "intents.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start(database: ChildDatabase, path: Path, *args: str) -> subprocess.Popen:
    argv = [sys.executable, "manage.py", "bulk_insert_intents", str(path), "--json", *args]
    return subprocess.Popen(
        argv, cwd=ROOT, env=database.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run(database: ChildDatabase, path: Path, *args: str) -> tuple[int, str, str]:
    child = start(database, path, *args)
    stdout, stderr = child.communicate(timeout=120)
    return child.returncode, stdout, stderr


def wait_for_batches(child: subprocess.Popen, batches: int) -> None:
    """Read the child's progress lines (one per batch) until ``batches`` batches are written."""
    seen = 0
    while seen < batches:
        text = child.stderr.readline()
        assert text, f"the command ended early: {child.wait()}"
        if "rows read" in text:
            seen += 1


def test_a_clean_run_then_a_second_run(child_db, intents_file):
    returncode, stdout, stderr = run(child_db, intents_file, "--batch-size", str(BATCH))
    assert returncode == EXIT_ROWS_REJECTED, stderr
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["rows_read"] == ROWS
    assert summary["rejected"] == 1
    assert f"line {ROWS // 2 + 2}: intent_reason 'GUESSED'" in stderr
    assert "Traceback" not in stderr
    assert stderr.rstrip().splitlines()[-1].startswith("CommandError: 1 row rejected")
    assert child_db.count() == summary["created"]
    clean = child_db.keys()
    returncode, stdout, _ = run(child_db, intents_file, "--batch-size", str(BATCH))
    assert json.loads(stdout.splitlines()[-1])["created"] == 0
    assert child_db.keys() == clean


@pytest.mark.parametrize("kill_signal", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_interrupted_then_run_again_leaves_the_table_of_one_clean_run(child_db, intents_file, kill_signal):
    returncode, _, stderr = run(child_db, intents_file, "--batch-size", str(BATCH))
    assert returncode == EXIT_ROWS_REJECTED, stderr
    clean = child_db.keys()
    child_db.clear()

    # A pause between batches keeps the child mid-file while the test acts.
    child = start(child_db, intents_file, "--batch-size", str(BATCH), "--sleep", "0.2", "--progress-interval", "0")
    wait_for_batches(child, 3)
    child.send_signal(kill_signal)
    stdout, stderr = child.communicate(timeout=60)
    partial = child_db.count()
    assert 0 < partial < len(clean)
    if kill_signal == signal.SIGKILL:
        assert child.returncode == -signal.SIGKILL
    else:
        # Stopped cleanly after the batch in progress, with the summary so far.
        assert child.returncode == EXIT_INTERRUPTED
        summary = json.loads(stdout.splitlines()[-1])
        assert summary["interrupted"] is True
        assert summary["created"] == partial
        assert summary["rows_read"] % BATCH == 0
        assert f"interrupted by {kill_signal.name}" in stderr
        assert "Traceback" not in stderr

    returncode, stdout, stderr = run(child_db, intents_file, "--batch-size", str(BATCH))
    assert returncode == EXIT_ROWS_REJECTED, stderr
    summary = json.loads(stdout.splitlines()[-1])
    assert summary["created"] == len(clean) - partial
    assert child_db.keys() == clean


def test_standard_input_and_exit_statuses_of_a_real_process(child_db, intents_file):
    child = subprocess.Popen(
        [sys.executable, "manage.py", "bulk_insert_intents", "-", "--json"],
        cwd=ROOT,
        env=child_db.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    header, first, second = intents_file.read_text().splitlines()[:3]
    stdout, stderr = child.communicate("\n".join([header, first, second]) + "\n", timeout=60)
    assert child.returncode == 0, stderr
    assert json.loads(stdout.splitlines()[-1])["created"] == 2

    returncode, stdout, stderr = run(child_db, intents_file.parent / "missing.csv")
    assert returncode == 1
    assert stdout == ""
    assert stderr.strip() == f"CommandError: {intents_file.parent / 'missing.csv'}: no such file"


def peak_rss_mb(child: subprocess.Popen) -> float:
    """
    The running child's peak resident memory so far, in MB: Linux's VmHWM of its own
    address space. Not wait4's ru_maxrss: Linux carries the parent's high-water mark into a
    child it spawns (vfork, then exec), so that would report the pytest process's size once
    the suite has grown past the bound. Elsewhere, stop the child and take ru_maxrss.
    """
    status = Path(f"/proc/{child.pid}/status")
    if status.exists():
        kilobytes = next(line.split()[1] for line in status.read_text().splitlines() if line.startswith("VmHWM:"))
        return int(kilobytes) / 2**10
    child.send_signal(signal.SIGTERM)
    _, exit_status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(exit_status)
    return usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)


class Feeder:
    """
    A thread writing a FIFO that the child reads: ``head``, then ``chunk`` ``chunks`` times
    (endlessly without ``chunks``), then ``tail``. Once ``fed_after`` chunks are written,
    ``fed`` is set: a pipe holds a few kB, so the child has read all the rest; with
    ``hold``, the writing then waits for ``resume``. Ends when the child closes its end.
    """

    def __init__(self, fifo: Path, *, chunk: bytes, fed_after: int, head=b"", tail=b"", chunks=None, hold=False):
        self.fed, self.resume, self._stop = threading.Event(), threading.Event(), threading.Event()
        self._args = (fifo, head, chunk, chunks, tail, fed_after, hold)
        self._thread = threading.Thread(target=self._feed, daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        fifo, head, chunk, chunks, tail, fed_after, hold = self._args
        try:
            with open(fifo, "wb", buffering=0) as out:  # opens once the child opens its end
                _write_all(out, head)
                written = 0
                while (chunks is None or written < chunks) and not self._stop.is_set():
                    _write_all(out, chunk)
                    written += 1
                    if written == fed_after:
                        self.fed.set()
                        if hold:
                            self.resume.wait()
                _write_all(out, tail)
        except BrokenPipeError:
            pass  # the child stopped reading

    def stop(self) -> None:
        self._stop.set()
        self.resume.set()


def _write_all(out, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[out.write(view) :]


def test_input_without_line_ends_is_read_in_bounded_memory_and_stops_on_sigterm(child_db, tmp_path):
    """An endless line (zeros through a FIFO) is read past a chunk at a time, never held whole."""
    fifo = tmp_path / "zeros.csv"
    os.mkfifo(fifo)
    child = subprocess.Popen(
        [sys.executable, "manage.py", "bulk_insert_intents", str(fifo)],
        cwd=ROOT,
        env=child_db.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    feeder = Feeder(fifo, chunk=b"\0" * 2**20, fed_after=256)
    try:
        # 256 MB read: an unbounded reader would hold more than the bound by now.
        assert feeder.fed.wait(timeout=300), "the child did not read 256 MB"
        assert child.poll() is None
        peak = peak_rss_mb(child)
        child.send_signal(signal.SIGTERM)
        # The line never ends: only the signal stops the read.
        child.wait(timeout=60)
    finally:
        feeder.stop()
    assert peak < 200, f"peak RSS {peak:.0f} MB"
    error = child.stderr.read()
    assert child.returncode == 1
    assert "Traceback" not in error
    assert error.strip().splitlines()[-1].startswith(f"CommandError: {fifo}")


def test_sigterm_during_a_long_stretch_without_rows_stops_promptly_with_a_true_summary(child_db, tmp_path):
    """
    A row, 150 MB of blank lines, a row, through a FIFO held part-way into the blank lines
    until the signal is sent: the command stops within the stretch, not at its end.
    """
    fifo = tmp_path / "blank.csv"
    os.mkfifo(fifo)
    child = start(child_db, fifo)
    feeder = Feeder(
        fifo,
        head=(
            b"user_id,program_uuid,intent_reason,intent_certainty,effective_time\n"
            b"1,6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e,BUNDLE_PURCHASE,MAYBE,2022-07-01 00:00:00 Z\n"
        ),
        chunk=b"\n" * 2**20,
        chunks=150,
        tail=b"2,6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e,BUNDLE_PURCHASE,MAYBE,2022-07-01 00:00:00 Z\n",
        fed_after=8,
        hold=True,
    )
    try:
        assert feeder.fed.wait(timeout=120), "the child did not read the first 8 MB of blank lines"
        assert child.poll() is None, "the stretch of blank lines is held open: the read cannot have ended"
        child.send_signal(signal.SIGTERM)
        feeder.resume.set()  # the rest of the stretch, and the last row, are there to be read
        stdout, stderr = child.communicate(timeout=60)
    finally:
        feeder.stop()
    assert child.returncode == EXIT_INTERRUPTED, stderr
    summary = json.loads(stdout.splitlines()[-1])
    # The last row was never read, and the summary says so.
    assert (summary["interrupted"], summary["created"]) == (True, 1)
    assert child_db.count() == 1
    assert "Traceback" not in stderr
