"""
What PIE's benchmarks share: the generated warehouse report, the benchmark databases,
and the child processes that load them.

The report resembles a data warehouse's: up to 100,000 distinct learners (one for every
ten rows below a million rows), 3,000 programs, every reason and certainty, the
warehouse's timestamp forms, about 1% of rows an exact repeat of a recent row (in the same
batch or not), and one row in 10,000 bad (each kind of fault, the wrong number of fields
too).
"""

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
# PIE_BENCH_DATA_DIR: elsewhere than bench-data/ (generated files, gunicorn logs).
DATA_DIR = Path(os.environ.get("PIE_BENCH_DATA_DIR") or ROOT / "bench-data")
TABLE = "intents_programintent"
COLUMNS = ("lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp", "created")
REASONS = ("BUNDLE_PURCHASE", "ENROLLED_ALL_COURSES", "EARNED_PROGRAM_CERT", "ALL_COURSES_COMPLETE", "LEARNER_STATED")
CERTAINTIES = ("CERTAIN_YES", "CERTAIN_NO", "MAYBE")
HEADER = ("user_id", "program_uuid", "intent_reason", "intent_certainty", "effective_time")
PROGRAMS = 3000
MAX_LEARNERS = 100_000
REPEATS = 0.01
BAD_ROWS = 0.0001
EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
PLUS_TWO = timedelta(hours=2)
# The session Django's settings give each MySQL/MariaDB connection of PIE's.
MYSQL_SESSION = (
    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO', time_zone='+00:00'",
)
# Exit statuses of bulk_insert_intents that still end in a summary: 2, some rows rejected
# (the generator makes a few).
LOADED = (0, 2)


def learners_for(rows: int) -> int:
    """The report's distinct learners: one for every ten rows, at most ``MAX_LEARNERS``."""
    return max(min(rows // 10, MAX_LEARNERS), 10)


def generate_rows(*, rows: int, seed: int, native_uuid: bool, learners: int | None = None):
    """
    Yield ``(csv_fields, db_params)`` for each row; ``db_params`` is None for a bad row.

    ``db_params`` are the values as the database stores them (UTC timestamps as text, the
    UUID as 32 hex digits, or hyphenated for a native UUID column), for the floor.
    """
    rnd = random.Random(seed)
    programs = [uuid.UUID(int=rnd.getrandbits(128), version=4) for _ in range(PROGRAMS)]
    learners = learners or learners_for(rows)
    recent: list[tuple] = []
    created = "2026-01-01 00:00:00"
    for n in range(rows):
        draw = rnd.random()
        if draw < BAD_ROWS:
            yield _bad_row(rnd, programs), None
            continue
        if draw < REPEATS and recent:
            # A repeat of a row met shortly before: often in the same batch, sometimes not.
            yield recent[rnd.randrange(len(recent))]
            continue
        program = rnd.choice(programs)
        when = EPOCH + timedelta(seconds=rnd.randrange(5 * 365 * 86400))
        fields = [str(rnd.randint(1, learners)), str(program), rnd.choice(REASONS), rnd.choice(CERTAINTIES)]
        fields.append(_warehouse_timestamp(when, rnd.random()))
        params = (
            int(fields[0]),
            str(program) if native_uuid else program.hex,
            fields[2],
            fields[3],
            f"{when:%Y-%m-%d %H:%M:%S}",
            created,
        )
        if len(recent) < 20000:
            recent.append((fields, params))
        else:
            recent[n % 20000] = (fields, params)
        yield fields, params


def _warehouse_timestamp(when: datetime, form: float) -> str:
    """``when`` as warehouses write it: mostly their own "Z" form, some ISO 8601, an offset, no zone."""
    if form < 0.80:
        return f"{when:%Y-%m-%d %H:%M:%S} Z"
    if form < 0.90:
        return f"{when:%Y-%m-%dT%H:%M:%S}Z"
    if form < 0.95:
        return f"{when + PLUS_TWO:%Y-%m-%dT%H:%M:%S}+02:00"
    return f"{when:%Y-%m-%d %H:%M:%S}"  # no zone: UTC


def _bad_row(rnd: random.Random, programs: list) -> list[str]:
    good = ["12345", str(rnd.choice(programs)), "BUNDLE_PURCHASE", "CERTAIN_YES", "2022-07-01 00:00:00 Z"]
    kind = rnd.randrange(6)
    if kind == 5:
        return good[:3]  # wrong number of fields
    good[kind] = ["-4", "not-a-uuid", "GUESSED", "PROBABLY", "yesterday"][kind]
    return good


def write_csv(*, path: Path, rows: int, seed: int, learners: int | None = None, extra_rows=()) -> None:
    """Write the generated report (``learners`` LMS ids, by default ``learners_for(rows)``), then ``extra_rows``."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for fields, _ in generate_rows(rows=rows, seed=seed, native_uuid=False, learners=learners):
            writer.writerow(fields)
        writer.writerows(extra_rows)
    tmp.rename(path)


def report_file(*, rows: int, seed: int, prefix: str = "intents") -> Path:
    """The generated report of ``rows`` rows in ``DATA_DIR``, written the first time it is asked for."""
    DATA_DIR.mkdir(exist_ok=True)
    path = DATA_DIR / f"{prefix}-{rows}-{seed}.csv"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        write_csv(path=path, rows=rows, seed=seed)
    return path


# --- databases ---------------------------------------------------------------------------


def is_mysql(url: str) -> bool:
    return url.startswith("mysql")


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def mysql_connect(url: str, *, database: str | None = None, session: bool = False):
    """
    A bare MySQLdb connection to the server of ``url`` (to ``database``, none by default);
    with ``session``, in the session Django gives its own connections (isolation, modes, UTC).
    """
    import MySQLdb

    parts = urlparse(url)
    kwargs = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
        "charset": "utf8mb4",
    }
    if database:
        kwargs["database"] = database
    connection = MySQLdb.connect(**kwargs)
    if session:
        with connection.cursor() as cursor:
            for statement in MYSQL_SESSION:
                cursor.execute(statement)
    return connection


def sqlite_path(url: str) -> Path:
    path = Path(url.removeprefix("sqlite:///"))
    return path if path.is_absolute() else ROOT / path


def child_env(url: str, **extra: str) -> dict:
    """The environment of a ``manage.py`` child on ``url``: the local settings unless ``extra`` says otherwise."""
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="pie.settings.local", **extra)
    env.pop("PYTHONPATH", None)
    return env


def reset_database(*, url: str) -> None:
    """Drop and re-create the benchmark database, then migrate it: an empty table."""
    if is_mysql(url):
        name = database_name(url)
        connection = mysql_connect(url)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        connection.close()
    else:
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    manage("migrate", "--no-input", "-v", "0", url=url)


def manage(*argv: str, url: str) -> str:
    """Run ``manage.py`` on ``url`` to its end; its standard output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env=child_env(url),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return done.stdout


def connect(url: str):
    """A bare driver connection to the benchmark database (sqlite3 or MySQLdb)."""
    if is_mysql(url):
        return mysql_connect(url, database=database_name(url))
    import sqlite3

    return sqlite3.connect(sqlite_path(url))


def count_rows(*, url: str) -> int:
    connection = connect(url)
    cursor = connection.cursor()
    cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
    (count,) = cursor.fetchone()
    connection.close()
    return count


# --- child processes ---------------------------------------------------------------------


def run_child(argv: list[str], *, env: dict) -> tuple[str, int, int, float, str]:
    """
    Run a child process to its end: its standard output, exit status, peak RSS in bytes
    (``os.wait4``'s), wall seconds, and the end of its standard error.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        errors.seek(0)
        tail = errors.read()[-2000:]
    # ru_maxrss is in kilobytes on Linux.
    return output, child.returncode, usage.ru_maxrss * 1024, wall, tail


def load_with_command(*, url: str, csv_path: Path, batch_size: int | None = None) -> dict:
    """
    ``bulk_insert_intents --json`` of ``csv_path`` into ``url``, in a child process: its
    summary, with ``peak_rss`` (bytes) and ``wall_seconds``. Exits when the load failed.
    """
    argv = [sys.executable, "manage.py", "bulk_insert_intents", str(csv_path), "--json"]
    if batch_size:
        argv += ["--batch-size", str(batch_size)]
    output, status, rss, wall, errors = run_child(argv, env=child_env(url))
    if status not in LOADED:
        sys.exit(f"bulk_insert_intents {csv_path} failed ({status}): {errors}")
    summary = json.loads(output.strip().splitlines()[-1])
    return {**summary, "peak_rss": rss, "wall_seconds": wall}


def default_batch_size(url: str) -> int:
    """
    The command's default batch size, asked of a child: this process stays small, since a
    child's ``wait4`` peak RSS starts from its parent's size when it was spawned.
    """
    code = "from pie.apps.intents.services import DEFAULT_BATCH_SIZE; print(DEFAULT_BATCH_SIZE)"
    return int(manage("shell", "-c", code, url=url).split()[-1])
