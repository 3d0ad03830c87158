"""
Benchmark PIE's HTTP API against a bare WSGI app on the same machine, in one run.

    make bench-api                 # 1,000,000 intents for 100,000 learners, MariaDB
    make bench-api ROWS=20000      # the same, smaller (a smoke)
    python -m benchmarks.bench_api --rows 20000 --database-url mysql://root:@127.0.0.1:3306/pie_bench_api

1. Seeds a fresh MariaDB database through ``bulk_insert_intents`` (the generator of
   ``benchmarks.common``, ``ROWS / 10`` learners), plus one learner with 10,000 intents
   over 1,000 programs.
2. Serves (``benchmarks.serving``, 2 workers x 4 threads, gthread) the ceiling
   (``bare_wsgi.py``: JSON after one ``SELECT 1``, with PIE's gunicorn settings), then PIE
   with ``pie/docker_gunicorn_configuration.py`` and ``pie.settings.production`` configured
   as an operator would: a freshly generated RS512 key pair, its public half as the JWK
   set, tokens signed with the private half.
3. From wrk (a second process, ``bench_api.lua``): the ceiling, PIE's ``/health/``,
   and the dashboard mix (90% GET ``most_recent_and_certain``, 10% POST of a new intent)
   over 5,000 learners' tokens, after a warm-up that made each learner's local user.
4. The GET latency of a 10-intent learner and of the 10,000-intent learner, one request
   at a time, against the bare driver running the selector's own SQL (captured from the
   selector itself, run once under ``CaptureQueriesContext``).

Prints a table, then one JSON line. Exits non-zero when a request failed (any status but
200/201, a socket error, a timeout) or when PIE's answer differs from the database's.
Figures are for reading: a benchmark, not a test.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from benchmarks.common import (
    DATA_DIR,
    ROOT,
    TABLE,
    database_name,
    learners_for,
    load_with_command,
    mysql_connect,
    reset_database,
    write_csv,
)
from benchmarks.serving import BARE_CONFIG, Keys, environments, gunicorn, http_get

HEAVY_LEARNER = 2_000_000_000
LIST = "/api/v1/program_intents/most_recent_and_certain/"


def heavy_rows() -> list[list[str]]:
    """10,000 intents over 1,000 programs for one learner: ten of varied certainty each."""
    certainties = ("MAYBE", "CERTAIN_YES", "CERTAIN_NO")
    return [
        [
            str(HEAVY_LEARNER),
            str(uuid.UUID(int=p + 1, version=4)),
            "LEARNER_STATED",
            certainties[(p + n) % 3],
            f"2023-{n % 12 + 1:02d}-{p % 28 + 1:02d} {n:02d}:00:00 Z",
        ]
        for p in range(1000)
        for n in range(10)
    ]


def seed(*, url: str, rows: int, learners: int) -> None:
    DATA_DIR.mkdir(exist_ok=True)
    path = DATA_DIR / f"api-intents-{rows}-{learners}.csv"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        write_csv(path=path, rows=rows, seed=20240701, learners=learners, extra_rows=heavy_rows())
    reset_database(url=url)
    load_with_command(url=url, csv_path=path)


def wrk(url: str, *, mode: str, seconds: int, env: dict, threads: int = 2, connections: int = 16) -> dict:
    """Run wrk; its counts and latency percentiles."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    command += ["-s", str(ROOT / "benchmarks" / "bench_api.lua"), url]
    output = subprocess.run(command, env={**env, "PIE_BENCH_MODE": mode}, capture_output=True, text=True, check=True)
    result = json.loads(output.stdout.split("RESULT ", 1)[1].splitlines()[0])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[kind] for kind in ("connect", "read", "write", "status", "timeout"))
    return result


def median_ms(call, times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def selector_sql(learner: int) -> str:
    """The SQL PIE's read rule runs for ``learner``: the selector itself, run once, its query captured."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pie.apps.intents.selectors import most_recent_and_certain

    with CaptureQueriesContext(connection) as captured:
        most_recent_and_certain(lms_user_id=learner)
    (query,) = captured.captured_queries
    connection.close()
    return query["sql"]


def latencies(*, port: int, url: str, keys: Keys, learner: int, seconds: int, env: dict) -> dict:
    """
    PIE's GET for ``learner``, one request at a time (wrk, one connection), and the bare
    driver running the selector's own SQL as many times, in the same session settings.
    """
    token = keys.token(learner)
    sql = selector_sql(learner)
    database = mysql_connect(url, database=database_name(url), session=True)
    database.autocommit(True)
    cursor = database.cursor()

    def query():
        cursor.execute(sql)
        return cursor.fetchall()

    status, body = http_get(port, LIST, token)
    pie_ids, driver_ids = [intent["id"] for intent in json.loads(body)], [row[0] for row in query()]
    if status != 200 or pie_ids != driver_ids:
        sys.exit(f"learner {learner}: PIE answered {status}, ids {pie_ids[:5]}...; the database {driver_ids[:5]}...")
    run = wrk(
        f"http://127.0.0.1:{port}{LIST}",
        mode="get",
        seconds=seconds,
        threads=1,
        connections=1,
        env={**env, "PIE_BENCH_TOKEN": token},
    )
    driver_ms = median_ms(query, max(int(run["requests"]), 20))
    database.close()
    pie_ms = run["p50_us"] / 1000
    return {
        "intents": len(pie_ids),
        "pie_ms": pie_ms,
        "driver_ms": driver_ms,
        "ratio": pie_ms / driver_ms,
        "errors": run["errors"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="mysql://root:@127.0.0.1:3306/pie_bench_api")
    parser.add_argument("--seconds", type=int, default=20, help="length of each wrk run")
    parser.add_argument("--tokens", type=int, default=5000, help="learners in the mix")
    parser.add_argument("--port", type=int, default=18791, help="PIE's port; the ceiling's is the next one")
    args = parser.parse_args()
    url, learners = args.database_url, learners_for(args.rows)
    print(f"{args.rows} intents for {learners} learners, and learner {HEAVY_LEARNER} with 10,000; {url}", flush=True)
    seed(url=url, rows=args.rows, learners=learners)
    keys = Keys()
    env, pie_env = environments(url, keys)
    os.environ.update(pie_env)
    import django

    django.setup()
    ceiling_port = args.port + 1
    with gunicorn("benchmarks.bare_wsgi:application", port=ceiling_port, env=env, config=BARE_CONFIG, ready="/"):
        ceiling = wrk(f"http://127.0.0.1:{ceiling_port}/", mode="get", seconds=args.seconds, env=env)
    tokens_file = DATA_DIR / "api-tokens.txt"
    tokens = {n: keys.token(n) for n in range(1, min(args.tokens, learners) + 1)}
    tokens_file.write_text("".join(f"{n} {token}\n" for n, token in tokens.items()))
    with gunicorn("pie.wsgi:application", port=args.port, env=pie_env):
        health = wrk(f"http://127.0.0.1:{args.port}/health/", mode="get", seconds=args.seconds, env=env)
        with ThreadPoolExecutor(8) as pool:  # the warm-up: each learner's local user
            statuses = set(pool.map(lambda token: http_get(args.port, LIST, token)[0], tokens.values()))
        if statuses != {200}:
            sys.exit(f"warm-up answers: {sorted(statuses)}")
        mix = wrk(
            f"http://127.0.0.1:{args.port}/",
            mode="mix",
            seconds=args.seconds,
            env={**env, "PIE_BENCH_TOKENS": str(tokens_file)},
        )
        light_learner = _learner_with(url, intents=10)
        light = latencies(port=args.port, url=url, keys=keys, learner=light_learner, seconds=5, env=env)
        heavy = latencies(port=args.port, url=url, keys=keys, learner=HEAVY_LEARNER, seconds=5, env=env)
    report(ceiling=ceiling, health=health, mix=mix, light=light, heavy=heavy)
    if any(run["errors"] for run in (ceiling, health, mix, light, heavy)):
        sys.exit("some requests failed (see errors above)")


def _learner_with(url: str, *, intents: int) -> int:
    database = mysql_connect(url, database=database_name(url))
    with database.cursor() as cursor:
        cursor.execute(f"SELECT lms_user_id FROM {TABLE} GROUP BY lms_user_id HAVING COUNT(*) = {intents:d} LIMIT 1")
        row = cursor.fetchone()
    database.close()
    if row is None:
        sys.exit(f"no learner has {intents} intents: seed more rows")
    return row[0]


def report(*, ceiling: dict, health: dict, mix: dict, light: dict, heavy: dict) -> None:
    print(f"\n{'run':<34} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'vs ceiling':>10}")
    for name, run in (
        ("ceiling (bare WSGI, SELECT 1)", ceiling),
        ("PIE /health/", health),
        ("PIE mix 90% GET / 10% POST", mix),
    ):
        print(
            f"{name:<34} {run['rps']:>8.0f} {run['p50_us'] / 1000:>7.1f} {run['p95_us'] / 1000:>7.1f} "
            f"{run['p99_us'] / 1000:>7.1f} {run['errors']:>6} {run['rps'] / ceiling['rps']:>10.3f}"
        )
    print(f"\n{'one GET at a time':<34} {'intents':>8} {'PIE ms':>8} {'driver ms':>9} {'ratio':>6}")
    for name, run in (("a 10-intent learner", light), ("the 10,000-intent learner", heavy)):
        print(f"{name:<34} {run['intents']:>8} {run['pie_ms']:>8.2f} {run['driver_ms']:>9.2f} {run['ratio']:>6.2f}")
    summary = {
        "mix_rps": round(mix["rps"], 1),
        "mix_p50_ms": mix["p50_us"] / 1000,
        "mix_p95_ms": mix["p95_us"] / 1000,
        "mix_p99_ms": mix["p99_us"] / 1000,
        "mix_errors": mix["errors"],
        "ceiling_rps": round(ceiling["rps"], 1),
        "health_rps": round(health["rps"], 1),
        "mix_vs_ceiling": round(mix["rps"] / ceiling["rps"], 4),
        "health_vs_ceiling": round(health["rps"] / ceiling["rps"], 4),
        "light_get_ms": round(light["pie_ms"], 3),
        "light_driver_ms": round(light["driver_ms"], 3),
        "heavy_get_ms": round(heavy["pie_ms"], 3),
        "heavy_driver_ms": round(heavy["driver_ms"], 3),
        "heavy_vs_driver": round(heavy["ratio"], 3),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
