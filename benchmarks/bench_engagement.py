#!/usr/bin/env python
"""
Benchmark engagement: the enrollment backfill against the intents' bulk load, and one
consumer draining a backlog of enrollment events through the real Redis.

    make bench-engagement                     # 1,000,000 enrollments of 100,000 learners
    make bench-engagement ENROLLMENTS=100000  # smaller

1. A fresh MariaDB database; the catalog copied by ``copy_catalog`` from a stand-in
   discovery served over HTTP (the tests' own, ``pie.apps.catalog.tests.discovery``): 300
   programs of 3-8 courses (of a pool of 1,000 courses of 1-3 runs each).
2. A seeded enrollments report: about 20% of the learners enrolled in one run of every
   course of one program; the other rows random enrollments (one in ten inactive).
3. ``bulk_insert_intents`` of an intents report of the same number of rows
   (``benchmarks.common``), then ``bulk_insert_enrollments`` of the enrollments, each in a
   child process, both timed by their wall time (evaluation included); then the
   enrollments again, which must record nothing.
4. ``--events`` enrollment events produced to a stream of the real Redis, then one
   ``consume_course_events enrollment`` child, timed from its start to the last
   acknowledgement; then the same backlog (other learners) through Kafka, a Tansu broker
   the benchmark starts (``benchmarks.kafka_drain``), timed until every event is a fact.

Prints a table and one JSON line; exits non-zero if a step failed or the second load
recorded an intent. A benchmark, not a test: figures depend on the machine.
"""

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from benchmarks.common import DATA_DIR, ROOT, child_env, load_with_command, report_file, reset_database, run_child

PROGRAMS, COURSES = 300, 1000
COVERING = 0.2
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def catalog(rnd: random.Random) -> tuple[list[dict], dict[str, list[str]]]:
    """The programs as discovery lists them, and each course's runs."""
    runs = {
        f"org{n % 50}+C{n}": [f"course-v1:org{n % 50}+C{n}+R{k}" for k in range(rnd.randint(1, 3))]
        for n in range(COURSES)
    }
    keys = list(runs)
    programs = []
    for n in range(PROGRAMS):
        courses = rnd.sample(keys, rnd.randint(3, 8))
        programs.append(
            {
                "uuid": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "title": f"Program {n}",
                "status": "active",
                "courses": [{"key": key, "course_runs": [{"key": run} for run in runs[key]]} for key in courses],
            }
        )
    return programs, runs


def write_enrollments(path, *, rows: int, learners: int, programs: list[dict], runs: dict, rnd: random.Random) -> None:
    all_runs = [run for course_runs in runs.values() for run in course_runs]

    def stamp() -> str:
        return f"{EPOCH + timedelta(seconds=rnd.randrange(2 * 365 * 86400)):%Y-%m-%d %H:%M:%S} Z"

    written = 0
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["user_id", "course_id", "mode", "is_active", "created", "modified"])
        for learner in range(1, learners + 1):
            if rnd.random() < COVERING:
                program = rnd.choice(programs)
                for course in program["courses"]:
                    writer.writerow([learner, rnd.choice(course["course_runs"])["key"], "verified", 1, stamp(), ""])
                    written += 1
        while written < rows:
            active = rnd.random() >= 0.1
            writer.writerow(
                [
                    rnd.randint(1, learners),
                    rnd.choice(all_runs),
                    "audit",
                    int(active),
                    stamp(),
                    "" if active else stamp(),
                ]
            )
            written += 1


def copy_catalog(url: str, programs: list[dict]) -> None:
    from pie.apps.catalog.tests.discovery import StandInDiscovery

    discovery = StandInDiscovery(programs).start()
    try:
        env = child_env(url, **discovery.settings())
        output, status, _, wall, errors = run_child([sys.executable, "manage.py", "copy_catalog"], env=env)
        if status != 0:
            sys.exit(f"copy_catalog failed: {errors}")
        print(output.strip(), f"({wall:.1f} s)", flush=True)
    finally:
        discovery.stop()


def backfill(url: str, path) -> dict:
    argv = [sys.executable, "manage.py", "bulk_insert_enrollments", str(path)]
    output, status, rss, wall, errors = run_child(argv, env=child_env(url))
    if status not in (0, 2):
        sys.exit(f"bulk_insert_enrollments failed ({status}): {errors}")
    found = re.search(r"recorded (\d+) intents?", output)
    return {"wall_seconds": wall, "peak_rss": rss, "intents": int(found.group(1)), "summary": output.strip()}


def drain(url: str, *, events: int, programs: list[dict], rnd: random.Random) -> dict:
    """Produce ``events`` enrollment events, then time one consumer reading them all."""
    prefix = f"pie-bench-{uuid.uuid4().hex[:8]}"
    redis_url = os.environ.get("EVENT_BUS_REDIS_CONNECTION_URL", "redis://127.0.0.1:6379/0")
    os.environ.update(
        child_env(url, EVENT_BUS_REDIS_CONNECTION_URL=redis_url, EVENT_BUS_TOPIC_PREFIX=prefix, LOG_LEVEL="WARNING")
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import redis
    from django.conf import settings

    from pie.apps.engagement.producing import send_enrollment_event

    client = redis.Redis.from_url(redis_url)
    stream = f"{prefix}-{settings.PIE_EVENT_BUS_ENROLLMENT_TOPIC}"
    # The group first, at the stream's start: a backlog is read (a new group starts at its end).
    client.xgroup_create(stream, settings.PIE_EVENT_BUS_GROUP, id="0", mkstream=True)
    seed = rnd.random()  # the same events on both buses, for other learners

    def produce(first_learner: int) -> None:
        pick = random.Random(seed)
        learner = first_learner
        for n in range(events):
            if n % 5 == 0:
                learner += 1
                program = pick.choice(programs)
            run = pick.choice(pick.choice(program["courses"])["course_runs"])["key"]
            send_enrollment_event(lms_user_id=learner, run_key=run, time=EPOCH + timedelta(seconds=n))

    started = time.perf_counter()
    produce(500_000)
    produced = time.perf_counter() - started
    env = child_env(url, EVENT_BUS_REDIS_CONNECTION_URL=redis_url, EVENT_BUS_TOPIC_PREFIX=prefix, LOG_LEVEL="WARNING")
    consumer = subprocess.Popen(
        [sys.executable, "manage.py", "consume_course_events", "enrollment", "--consumer-name", "bench"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    try:
        while True:
            (group,) = client.xinfo_groups(stream)
            if group["entries-read"] == events and group["pending"] == 0:
                break
            if consumer.poll() is not None:
                sys.exit(f"the consumer ended ({consumer.returncode})")
            if time.perf_counter() - started > 1800:
                sys.exit("the consumer did not drain the backlog in 30 minutes")
            time.sleep(0.2)
        seconds = time.perf_counter() - started
    finally:
        consumer.terminate()
        consumer.wait(timeout=30)
        for key in client.scan_iter(f"{prefix}-*"):
            client.delete(key)
    from benchmarks.kafka_drain import drain_kafka
    from pie.apps.engagement.models import CourseFact

    kafka = drain_kafka(url, events=events, produce=lambda: produce(700_000), facts=CourseFact.objects.count)
    return {"events": events, "seconds": seconds, "produced_seconds": produced, "kafka_seconds": kafka["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--learners", type=int, default=None, help="default: one for every ten enrollments")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    url, rnd = args.database_url, random.Random(args.seed)
    learners = args.learners or max(args.enrollments // 10, 10)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    programs, runs = catalog(rnd)
    enrollments = DATA_DIR / f"enrollments-{args.enrollments}-{args.seed}.csv"
    if not enrollments.exists():
        print(f"generating {enrollments} ...", flush=True)
        write_enrollments(enrollments, rows=args.enrollments, learners=learners, programs=programs, runs=runs, rnd=rnd)
    intents = report_file(rows=args.enrollments, seed=args.seed)
    print(f"{args.enrollments} enrollments of {learners} learners, {PROGRAMS} programs; {url}", flush=True)

    reset_database(url=url)
    copy_catalog(url, programs)
    loaded = load_with_command(url=url, csv_path=intents)
    first = backfill(url, enrollments)
    again = backfill(url, enrollments)
    drained = drain(url, events=args.events, programs=programs, rnd=rnd)

    intents_rate = loaded["rows_read"] / loaded["wall_seconds"]
    enrollments_rate = args.enrollments / first["wall_seconds"]
    events_rate = drained["events"] / drained["seconds"]
    kafka_rate = drained["events"] / drained["kafka_seconds"]
    print(first["summary"])
    print(f"{'step':<40} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'peak RSS':>9}")
    for name, rows, seconds, rss in (
        ("bulk_insert_intents (reference)", loaded["rows_read"], loaded["wall_seconds"], loaded["peak_rss"]),
        ("bulk_insert_enrollments, evaluation in", args.enrollments, first["wall_seconds"], first["peak_rss"]),
        ("bulk_insert_enrollments again", args.enrollments, again["wall_seconds"], again["peak_rss"]),
    ):
        print(f"{name:<40} {rows:>9} {seconds:>8.1f} {rows / seconds:>9.0f} {rss / 2**20:>7.0f}MB")
    print(f"enrollments over intents: {enrollments_rate / intents_rate:.2f} (target at least 0.5)")
    print(f"second load recorded {again['intents']} intents (must be 0); first recorded {first['intents']}")
    print(
        f"consumer drained {drained['events']} events in {drained['seconds']:.1f} s: {events_rate:.0f} events/s "
        "(target 100, aim 200)"
    )
    print(f"the same backlog through Kafka: {drained['kafka_seconds']:.1f} s, {kafka_rate:.0f} events/s")
    print(
        json.dumps(
            {
                "enrollments": args.enrollments,
                "learners": learners,
                "intents_rows_per_second": round(intents_rate),
                "enrollments_rows_per_second": round(enrollments_rate),
                "ratio": round(enrollments_rate / intents_rate, 3),
                "first_intents": first["intents"],
                "second_intents": again["intents"],
                "events_per_second": round(events_rate),
                "kafka_events_per_second": round(kafka_rate),
            }
        )
    )
    if again["intents"] != 0 or first["intents"] == 0:
        sys.exit("the second load recorded intents, or the first none: PIE's result is wrong")


if __name__ == "__main__":
    main()
