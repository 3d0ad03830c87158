"""
Benchmark ``manage.py bulk_insert_intents`` against the bare database driver.

    make bench-bulk ROWS=1000000          # SQLite, bench-data/bench.sqlite3
    make bench-bulk-mysql ROWS=1000000    # MariaDB/MySQL, database pie_bench
    python -m benchmarks.bench_bulk --rows 200000 --database-url sqlite:///bench-data/bench.sqlite3

1. Generates two seeded CSV reports in bench-data/ (``benchmarks.common``: a warehouse's
   report of ROWS rows, and one of ROWS / 10 of the same kind).
2. The floor: into a freshly migrated, empty database, the same rows go through the bare
   driver (``sqlite3`` / ``MySQLdb``): ``executemany`` of ``INSERT OR IGNORE`` / ``INSERT
   IGNORE`` into the same table and indexes, in batches of the same size, one transaction
   each. The rows are generated in the database's own form, a batch at a time, and only
   the driver calls are timed: the floor is what the database and driver cost on their own.
   The ratio printed for each step is its rate over the floor's first-load rate.
3. The first load: the command, in a child process, into a freshly migrated empty database.
4. The re-run: the same command again over the loaded table (every row a duplicate);
   the floor is re-run the same way, to show what duplicates cost the database itself.
5. The small load: the command loads the ROWS / 10 file into a freshly migrated empty
   database. Its peak RSS beside the first load's shows whether memory grows with the file
   (it should not: the command streams).

Each step runs in its own child process, whose peak RSS comes from ``os.wait4``. Rates
are the rows handled per second: the floor's over its driver calls, the command's over
its own elapsed time (from its ``--json`` summary, which excludes Python and Django
start-up). This is a benchmark, not a test: figures depend on the machine and its load.
"""

import argparse
import json
import sys
import time
from itertools import islice

from benchmarks.common import (
    COLUMNS,
    TABLE,
    child_env,
    connect,
    count_rows,
    database_name,
    default_batch_size,
    generate_rows,
    is_mysql,
    load_with_command,
    mysql_connect,
    report_file,
    reset_database,
    run_child,
)


def run_floor(*, url: str, rows: int, seed: int, batch_size: int) -> dict:
    """Insert the generated rows through the bare driver; time only the driver calls."""
    mysql = is_mysql(url)
    params = (p for _, p in generate_rows(rows=rows, seed=seed, native_uuid=mysql) if p is not None)
    columns = ", ".join(COLUMNS)
    if mysql:
        connection = mysql_connect(url, database=database_name(url), session=True)
        cursor = connection.cursor()
        sql = f"INSERT IGNORE INTO {TABLE} ({columns}) VALUES (%s, %s, %s, %s, %s, %s)"
        begin, commit = connection.begin, connection.commit
    else:
        connection = connect(url)
        connection.isolation_level = None
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


def run_floor_child(*, url: str, rows: int, seed: int, batch_size: int) -> tuple[dict, int]:
    """The floor in a child process: its result, and the child's peak RSS."""
    argv = [sys.executable, "-m", "benchmarks.bench_bulk", "--floor-child", "--rows", str(rows)]
    argv += ["--database-url", url, "--seed", str(seed), "--batch-size", str(batch_size)]
    output, status, rss, _, errors = run_child(argv, env=child_env(url))
    if status:
        sys.exit(f"the floor failed ({status}): {errors}")
    return json.loads(output), rss


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

    if args.floor_child:
        print(json.dumps(run_floor(url=url, rows=args.rows, seed=args.seed, batch_size=args.batch_size)))
        return

    batch_size = args.batch_size or default_batch_size(url)
    small_rows = max(args.rows // 10, 1)
    csv_path = report_file(rows=args.rows, seed=args.seed)
    small_path = report_file(rows=small_rows, seed=args.seed)
    print(f"{args.rows} rows, {csv_path.stat().st_size / 1e6:.0f} MB, batch size {batch_size}, {url}", flush=True)

    results = []
    if not args.skip_floor:
        reset_database(url=url)
        floor, rss = run_floor_child(url=url, rows=args.rows, seed=args.seed, batch_size=batch_size)
        floor_count = count_rows(url=url)
        results.append(("floor (bare driver)", floor["rows"], floor["seconds"], rss))
        # The same rows again: what the database makes of a load of duplicates.
        floor_again, rss = run_floor_child(url=url, rows=args.rows, seed=args.seed, batch_size=batch_size)
        results.append(("floor re-run", floor_again["rows"], floor_again["seconds"], rss))
    reset_database(url=url)
    first = load_with_command(url=url, csv_path=csv_path, batch_size=args.batch_size)
    first_count = count_rows(url=url)
    results.append(("first load (command)", first["rows_read"], first["elapsed_seconds"], first["peak_rss"]))
    again = load_with_command(url=url, csv_path=csv_path, batch_size=args.batch_size)
    results.append(("re-run (command)", again["rows_read"], again["elapsed_seconds"], again["peak_rss"]))
    reset_database(url=url)
    small = load_with_command(url=url, csv_path=small_path, batch_size=args.batch_size)
    results.append(("small load (ROWS/10)", small["rows_read"], small["elapsed_seconds"], small["peak_rss"]))

    floor_rate = results[0][1] / results[0][2] if not args.skip_floor else None
    print(f"{'step':<22} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'peak RSS':>9} {'vs floor':>8}")
    for name, rows, seconds, rss in results:
        rate = rows / seconds
        ratio = f"{rate / floor_rate:.0%}" if floor_rate else "-"
        print(f"{name:<22} {rows:>9} {seconds:>8.1f} {rate:>9.0f} {rss / 2**20:>7.0f}MB {ratio:>8}")
    growth = (first["peak_rss"] - small["peak_rss"]) / 2**20
    print(
        f"peak RSS of a first load: {first['rows_read']} rows {first['peak_rss'] / 2**20:.0f} MB, "
        f"{small['rows_read']} rows {small['peak_rss'] / 2**20:.0f} MB, difference {growth:+.0f} MB"
    )
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
    if not small["created"]:
        sys.exit("the small load created nothing (see above)")


if __name__ == "__main__":
    main()
