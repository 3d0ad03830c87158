#!/usr/bin/env python
"""
Benchmark ``manage.py bulk_insert_intents`` against the bare database driver.

    make bench-bulk ROWS=1000000          # SQLite, bench-data/bench.sqlite3
    make bench-bulk-mysql ROWS=1000000    # MariaDB/MySQL, database pie_bench

1. Generates a seeded CSV report in bench-data/ (many learners and programs, every
   reason and certainty, several timestamp forms, some duplicate rows and a few bad ones).
2. The floor: into a freshly migrated, empty database, the same rows go through the bare
   driver (``sqlite3`` / ``MySQLdb``): ``executemany`` of ``INSERT OR IGNORE`` / ``INSERT
   IGNORE`` into the same table and indexes, in batches of the same size, one transaction
   each. The rows are generated in the database's own form, a batch at a time, and only
   the driver calls are timed: the floor is what the database and driver cost on their own.
   The ratio printed for each step is its rate over the floor's first-load rate.
3. The first load: the command, in a child process, into a freshly migrated empty database.
4. The re-run: the same command again over the loaded table (every row a duplicate);
   the floor is re-run the same way, to show what duplicates cost the database itself.

Each step runs in its own child process, whose peak RSS comes from ``os.wait4``. Rates
are the rows handled per second: the floor's over its driver calls, the command's over
its own elapsed time (from its ``--json`` summary, which excludes Python and Django
start-up). This is a benchmark, not a test: figures depend on the machine and its load.
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from itertools import islice
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
EPOCH = datetime(2019, 1, 1, tzinfo=UTC)
PLUS_TWO = timedelta(hours=2)


def generate_rows(*, rows: int, seed: int, native_uuid: bool, learners: int | None = None):
    """
    Yield ``(csv_fields, db_params)`` for each row; ``db_params`` is None for a bad row.

    ``db_params`` are the values as the database stores them (UTC timestamps as text, the
    UUID as 32 hex digits, or hyphenated for a native UUID column), for the floor.
    """
    rnd = random.Random(seed)
    programs = [uuid.UUID(int=rnd.getrandbits(128), version=4) for _ in range(3000)]
    learners = learners or max(rows // 2, 10)
    recent: list[tuple] = []
    created = "2026-01-01 00:00:00"
    for n in range(rows):
        draw = rnd.random()
        if draw < 0.0001:
            yield _bad_row(rnd, programs), None
            continue
        if draw < 0.03 and recent:
            # A duplicate of a row met shortly before: often in the same batch, sometimes not.
            fields, params = recent[rnd.randrange(len(recent))]
            yield fields, params
            continue
        program = rnd.choice(programs)
        when = EPOCH + timedelta(seconds=rnd.randrange(5 * 365 * 86400))
        form = rnd.random()
        if form < 0.85:
            stamp = f"{when:%Y-%m-%d %H:%M:%S} Z"
        elif form < 0.95:
            stamp = f"{when:%Y-%m-%dT%H:%M:%S}Z"
        else:
            stamp = f"{when + PLUS_TWO:%Y-%m-%dT%H:%M:%S}+02:00"
        fields = [str(rnd.randint(1, learners)), str(program), rnd.choice(REASONS), rnd.choice(CERTAINTIES), stamp]
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


def _bad_row(rnd: random.Random, programs: list) -> list[str]:
    good = ["12345", str(rnd.choice(programs)), "BUNDLE_PURCHASE", "CERTAIN_YES", "2022-07-01 00:00:00 Z"]
    kind = rnd.randrange(6)
    if kind == 5:
        return good[:3]  # wrong number of fields
    good[kind] = ["-4", "not-a-uuid", "GUESSED", "PROBABLY", "yesterday"][kind]
    return good


def write_csv(*, path: Path, rows: int, seed: int, learners: int | None = None, extra_rows=()) -> None:
    """Write the generated report (``learners`` LMS ids, by default rows / 2), then ``extra_rows``."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for fields, _ in generate_rows(rows=rows, seed=seed, native_uuid=False, learners=learners):
            writer.writerow(fields)
        writer.writerows(extra_rows)
    tmp.rename(path)


# --- databases ---------------------------------------------------------------------------


def is_mysql(url: str) -> bool:
    return url.startswith("mysql")


def reset_database(*, url: str) -> None:
    """Drop and re-create the benchmark database, then migrate it: an empty table."""
    if is_mysql(url):
        parts = urlparse(url)
        name = parts.path.lstrip("/")
        connection = _mysql_connect(url, database=None)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        connection.close()
    else:
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=_env(url),
        check=True,
    )


def _sqlite_path(url: str) -> Path:
    path = Path(url.removeprefix("sqlite:///"))
    return path if path.is_absolute() else ROOT / path


def _mysql_connect(url: str, *, database: str | None):
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
    return MySQLdb.connect(**kwargs)


def _env(url: str) -> dict:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="pie.settings.local")
    env.pop("PYTHONPATH", None)
    return env


def count_rows(*, url: str) -> int:
    if is_mysql(url):
        connection = _mysql_connect(url, database=urlparse(url).path.lstrip("/"))
    else:
        import sqlite3

        connection = sqlite3.connect(_sqlite_path(url))
    cursor = connection.cursor()
    cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
    (count,) = cursor.fetchone()
    connection.close()
    return count


# --- the floor (child process) -----------------------------------------------------------


def run_floor(*, url: str, rows: int, seed: int, batch_size: int) -> dict:
    """Insert the generated rows through the bare driver; time only the driver calls."""
    mysql = is_mysql(url)
    params = (p for _, p in generate_rows(rows=rows, seed=seed, native_uuid=mysql) if p is not None)
    columns = ", ".join(COLUMNS)
    if mysql:
        connection = _mysql_connect(url, database=urlparse(url).path.lstrip("/"))
        cursor = connection.cursor()
        # The session Django's settings give its own connections.
        cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cursor.execute(
            "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO', "
            "time_zone='+00:00'"
        )
        sql = f"INSERT IGNORE INTO {TABLE} ({columns}) VALUES (%s, %s, %s, %s, %s, %s)"
        begin, commit = connection.begin, connection.commit
    else:
        import sqlite3

        connection = sqlite3.connect(_sqlite_path(url), isolation_level=None)
        connection.execute("PRAGMA foreign_keys = ON")
        cursor = connection.cursor()
        sql = f"INSERT OR IGNORE INTO {TABLE} ({columns}) VALUES (?, ?, ?, ?, ?, ?)"

        def begin():
            cursor.execute("BEGIN")

        def commit():
            cursor.execute("COMMIT")

    # Rows are generated a batch at a time (so the floor's memory is the driver's, as the
    # command's is) and only the driver calls are timed.
    count = inserted = 0
    seconds = 0.0
    while batch := list(islice(params, batch_size)):
        started = time.perf_counter()
        begin()
        cursor.executemany(sql, batch)
        inserted += cursor.rowcount
        commit()
        seconds += time.perf_counter() - started
        count += len(batch)
    connection.close()
    return {"rows": count, "inserted": inserted, "seconds": seconds}


# --- running children --------------------------------------------------------------------


def run_child(argv: list[str], *, url: str) -> tuple[str, int, float]:
    """Run a child process; return its standard output, its peak RSS in bytes, and wall seconds."""
    started = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        child = subprocess.Popen(argv, cwd=ROOT, env=_env(url), stdout=subprocess.PIPE, stderr=devnull, text=True)
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    # ru_maxrss is in kilobytes on Linux.
    return output, usage.ru_maxrss * 1024, wall


def run_command(*, url: str, csv_path: Path, batch_size: int | None) -> dict:
    argv = [sys.executable, "manage.py", "bulk_insert_intents", str(csv_path), "--json"]
    if batch_size:
        argv += ["--batch-size", str(batch_size)]
    output, rss, wall = run_child(argv, url=url)
    summary = json.loads(output.strip().splitlines()[-1])
    return {**summary, "peak_rss": rss, "wall_seconds": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=20220701)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the command's default")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--floor-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url
    batch_size = args.batch_size or _default_batch_size()

    if args.floor_child:
        print(json.dumps(run_floor(url=url, rows=args.rows, seed=args.seed, batch_size=batch_size)))
        return

    DATA_DIR.mkdir(exist_ok=True)
    csv_path = DATA_DIR / f"intents-{args.rows}-{args.seed}.csv"
    if not csv_path.exists():
        print(f"generating {csv_path} ...", flush=True)
        write_csv(path=csv_path, rows=args.rows, seed=args.seed)
    print(f"{args.rows} rows, {csv_path.stat().st_size / 1e6:.0f} MB, batch size {batch_size}, {url}", flush=True)

    results = []
    if not args.skip_floor:
        reset_database(url=url)
        argv = [sys.executable, __file__, "--floor-child", "--rows", str(args.rows), "--database-url", url]
        argv += ["--seed", str(args.seed), "--batch-size", str(batch_size)]
        output, rss, _ = run_child(argv, url=url)
        floor = json.loads(output)
        floor_count = count_rows(url=url)
        results.append(("floor (bare driver)", floor["rows"], floor["seconds"], rss))
        # The same rows again: what the database makes of a load of duplicates.
        output, rss, _ = run_child(argv, url=url)
        floor_again = json.loads(output)
        results.append(("floor re-run", floor_again["rows"], floor_again["seconds"], rss))
    reset_database(url=url)
    first = run_command(url=url, csv_path=csv_path, batch_size=args.batch_size)
    first_count = count_rows(url=url)
    results.append(("first load (command)", first["rows_read"], first["elapsed_seconds"], first["peak_rss"]))
    again = run_command(url=url, csv_path=csv_path, batch_size=args.batch_size)
    results.append(("re-run (command)", again["rows_read"], again["elapsed_seconds"], again["peak_rss"]))

    floor_rate = results[0][1] / results[0][2] if not args.skip_floor else None
    print(f"{'step':<22} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'peak RSS':>9} {'vs floor':>8}")
    for name, rows, seconds, rss in results:
        rate = rows / seconds
        ratio = f"{rate / floor_rate:.0%}" if floor_rate else "-"
        print(f"{name:<22} {rows:>9} {seconds:>8.1f} {rate:>9.0f} {rss / 2**20:>7.0f}MB {ratio:>8}")
    print(
        f"first load: created {first['created']}, duplicates {first['duplicates']}, rejected {first['rejected']}; "
        f"re-run: created {again['created']}, duplicates {again['duplicates']}, rejected {again['rejected']}"
    )
    if not args.skip_floor:
        same = "the same" if floor_count == first_count else "DIFFERENT"
        print(f"table rows: floor {floor_count}, command {first_count} ({same})")
    # Figures are for reading; a load that went wrong fails the run.
    if (not args.skip_floor and floor_count != first_count) or again["created"] or not first["created"]:
        sys.exit("the command's loads do not match the floor (see above)")


def _default_batch_size() -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pie.settings.local")
    import django

    django.setup()
    from pie.apps.intents.services import DEFAULT_BATCH_SIZE

    return DEFAULT_BATCH_SIZE


if __name__ == "__main__":
    main()
