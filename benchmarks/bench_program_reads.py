#!/usr/bin/env python
"""
Benchmark the program reads over HTTP, against the bare driver running their SQL.

    make bench-program-reads                           # 50,000 learners of the popular program
    make bench-program-reads PROGRAM_LEARNERS=5000     # smaller

1. Seeds a fresh MariaDB database (migrated by ``manage.py migrate``, rows inserted by the
   bare driver): ``--rows`` intents of other learners and programs, plus one popular
   program whose ``--learners`` learners have 3 intents each (a MAYBE, then two of
   varied certainty and reason, so the rule has something to choose).
2. Serves PIE with gunicorn, ``pie/docker_gunicorn_configuration.py`` (2 workers x 4
   threads) and ``pie.settings.production`` configured as an operator would: a fresh
   RS512 key pair, its public half as the JWK set, a staff token signed with the private half.
3. One request at a time, from this process: the popular program's engagement; a page of
   100 of its learners, the first and one 400 pages deep (its cursor from a walk of the
   ``next`` links); one of its learners' history page. And the bare driver running the
   engagement's own SQL (captured from ``selectors.program_engagement`` in this process)
   in Django's session settings.

Prints a table (p50 / p95 in ms, and the targets), then one JSON line. Exits non-zero when
a request failed or PIE's counts differ from the database's. A benchmark, not a test.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from urllib.parse import urlsplit

from benchmarks.common import CERTAINTIES, REASONS, ROOT, database_name, mysql_connect
from benchmarks.serving import Keys, environments, gunicorn

POPULAR = uuid.UUID("5a7e0000-0000-4000-8000-00000000000a")
COLUMNS = "lms_user_id, program_uuid, reason, certainty, effective_timestamp, created"
EPOCH = datetime(2022, 1, 1, tzinfo=UTC)
# The targets, in ms.
TARGETS = {
    "engagement": {"p50": 250},
    "learners, first page": {"p50": 30, "p95": 60},
    "learners, page 400": {"p50": 30, "p95": 60},
    "history": {"p50": 10},
}


def seed(*, url: str, rows: int, learners: int) -> None:
    """A fresh, migrated database: ``rows`` background intents and the popular program's ``learners`` x 3."""
    name = urlsplit(url).path.lstrip("/")
    connection = mysql_connect(url)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    connection.close()
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="pie.settings.local")
    env.pop("PYTHONPATH", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    rnd = random.Random(20261203)
    programs = [uuid.UUID(int=rnd.getrandbits(128), version=4).hex for _ in range(3000)]
    created = "2026-12-01 00:00:00.000000"

    def at(minutes: int) -> str:
        return (EPOCH + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S.%f")

    def background():
        for n in range(rows):
            learner = rnd.randrange(1, max(rows // 10, 10)) + 10_000_000
            yield (learner, rnd.choice(programs), rnd.choice(REASONS), rnd.choice(CERTAINTIES), at(n), created)

    def popular():
        for learner in range(1, learners + 1):
            start = rnd.randrange(500_000)
            yield (learner, POPULAR.hex, "ENROLLED_ALL_COURSES", "MAYBE", at(start), created)
            for step in (1, 2):
                yield (learner, POPULAR.hex, rnd.choice(REASONS), rnd.choice(CERTAINTIES), at(start + step), created)

    connection = mysql_connect(url, database=database_name(url))
    insert = f"INSERT INTO intents_programintent ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)"
    with connection.cursor() as cursor:
        for source in (background(), popular()):
            batch = []
            for row in source:
                batch.append(row)
                if len(batch) == 5000:
                    cursor.executemany(insert, batch)
                    connection.commit()
                    batch = []
            if batch:
                cursor.executemany(insert, batch)
                connection.commit()
        cursor.execute("ANALYZE TABLE intents_programintent")
        cursor.fetchall()
    connection.close()


def get(port: int, path: str, token: str | None = None, connection: HTTPConnection | None = None):
    own = connection is None
    connection = connection or HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", path, headers={"Authorization": f"JWT {token}"} if token else {})
    response = connection.getresponse()
    body = response.read()
    if own:
        connection.close()
    return response.status, body


def timed(call, times: int) -> list[float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def figures(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "n": len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="mysql://root:@127.0.0.1:3306/pie_bench_program_reads")
    parser.add_argument("--rows", type=int, default=200_000, help="background intents (other programs)")
    parser.add_argument("--learners", type=int, default=50_000, help="learners of the popular program")
    parser.add_argument("--samples", type=int, default=200, help="requests of each page read")
    parser.add_argument("--port", type=int, default=18795)
    parser.add_argument("--skip-seed", action="store_true", help="reuse the database of the last run")
    args = parser.parse_args()
    url = args.database_url
    print(f"{args.rows} background intents; program {POPULAR} with {args.learners} learners x 3; {url}", flush=True)
    if not args.skip_seed:
        seed(url=url, rows=args.rows, learners=args.learners)
    keys = Keys()
    _, env = environments(url, keys)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection as django_connection
    from django.test.utils import CaptureQueriesContext

    from pie.apps.intents.selectors import program_engagement

    # The engagement's SQL as PIE runs it (the selector's one query), for the driver.
    with CaptureQueriesContext(django_connection) as captured:
        program_engagement(program_uuid=POPULAR)
    (engagement_query,) = [query["sql"] for query in captured.captured_queries if "SELECT" in query["sql"]]
    django_connection.close()

    staff, learner = keys.token(900_000_000, administrator=True), keys.token(1)
    engagement_path = f"/api/v1/programs/{POPULAR}/engagement/"
    learners_path = f"/api/v1/programs/{POPULAR}/learners/?page_size=100"
    history_path = f"/api/v1/program_intents/?program_uuid={POPULAR}"
    results, errors = {}, []
    with gunicorn("pie.wsgi:application", port=args.port, env=env):
        connection = HTTPConnection("127.0.0.1", args.port, timeout=60)

        def read(path: str, token: str) -> dict:
            status, body = get(args.port, path, token)
            if status != 200:
                errors.append((path, status, body[:200]))
            return json.loads(body)

        # The engagement, and the driver on its own SQL in Django's session settings.
        counts = read(engagement_path, staff)
        database = mysql_connect(url, database=database_name(url))
        database.autocommit(True)
        cursor = database.cursor()
        cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cursor.execute("SET time_zone='+00:00'")

        def driver():
            cursor.execute(engagement_query)
            return cursor.fetchall()

        driver_learners = sum(row[2] for row in driver())
        if driver_learners != counts["learners"] or counts["learners"] != args.learners:
            errors.append(("engagement", counts["learners"], driver_learners))
        engagement_samples = max(args.samples // 10, 20)
        results["engagement"] = figures(timed(lambda: read(engagement_path, staff), engagement_samples))
        results["engagement, bare driver"] = figures(timed(driver, engagement_samples))
        database.close()

        # The first page, and a page 400 deep: its cursor from a walk of the next links.
        page = read(learners_path, staff)
        first_results = page["results"]
        deep = None
        for _ in range(399):
            if not page["next"]:
                break
            deep = page["next"]
            page = read(urlsplit(deep).path + "?" + urlsplit(deep).query, staff)
        results["learners, first page"] = figures(timed(lambda: read(learners_path, staff), args.samples))
        if deep is not None and len(first_results) == 100:
            deep_path = urlsplit(deep).path + "?" + urlsplit(deep).query
            deep_page = read(deep_path, staff)
            results["learners, page 400"] = figures(timed(lambda: read(deep_path, staff), args.samples))
            results["learners, page 400"]["first learner"] = deep_page["results"][0]["lms_user_id"]
        history = read(history_path, learner)
        if len(history["results"]) != 3:
            errors.append(("history", len(history["results"])))
        results["history"] = figures(timed(lambda: read(history_path, learner), args.samples))
        connection.close()
    report(results, errors)
    if errors:
        sys.exit(f"errors: {errors[:5]}")


def report(results: dict, errors: list) -> None:
    print(f"\n{'read':<28} {'p50 ms':>8} {'p95 ms':>8} {'n':>5}  target")
    for name, run in results.items():
        target = TARGETS.get(name, {})
        met = all(run[key] <= limit for key, limit in target.items())
        wanted = ", ".join(f"{key} <= {limit}" for key, limit in target.items())
        verdict = f"{wanted}: {'met' if met else 'MISSED'}" if target else ""
        print(f"{name:<28} {run['p50']:>8.2f} {run['p95']:>8.2f} {run['n']:>5}  {verdict}")
    ratio = results["engagement"]["p50"] / results["engagement, bare driver"]["p50"]
    print(f"engagement over the bare driver: {ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})")
    summary = {name.replace(", ", "_").replace(" ", "_"): round(run["p50"], 2) for name, run in results.items()}
    summary |= {f"{name}_p95": round(run["p95"], 2) for name, run in results.items() if "learners" in name}
    summary |= {"engagement_vs_driver": round(ratio, 3), "errors": len(errors)}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
