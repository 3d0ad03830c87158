"""
The API mix with and without a read replica (ADR 30): PIE under gunicorn on two MariaDB
servers of its own (a primary and its GTID replica, pie.tests.support.replication), the
same requests (nine learners' ``most_recent_and_certain`` GETs to one POST, and a staff
engagement count every 50) served first with ``DATABASE_URL`` only, then with
``READ_REPLICA_DATABASE_URL`` too. Reports the primary's and the replica's statements per
request (``SHOW GLOBAL STATUS`` Questions deltas) and requests per second. Statements, not
CPU, are the figure to compare: both servers share the machine's cores.
"""

import argparse
import random
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import count

from pie.tests.support.gunicorn import start_server
from pie.tests.support.replication import Replication

PROGRAMS = [f"3c000000-0000-0000-0000-{n:012d}" for n in range(1, 6)]


def requests_of(*, total: int, learners: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    made = []
    for n in range(total):
        if n % 50 == 49:
            made.append(("GET", f"/api/v1/programs/{PROGRAMS[0]}/engagement/", 900, None))
        elif n % 10 == 9:
            body = {"program_uuid": rng.choice(PROGRAMS), "reason": "LEARNER_STATED", "certainty": "MAYBE"}
            body["effective_timestamp"] = f"2025-01-01T00:00:{n % 60:02d}.{n:06d}Z"
            made.append(("POST", "/api/v1/program_intents/", rng.randrange(1, learners + 1), body))
        else:
            learner = rng.randrange(1, learners + 1)
            made.append(("GET", "/api/v1/program_intents/most_recent_and_certain/", learner, None))
    return made


def run(replication: Replication, *, replica: bool, total: int, learners: int, threads: int) -> dict:
    import django

    django.setup()
    from pie.tests.support.replication import call, token

    settings = {"DATABASE_CONN_MAX_AGE": "60", "GUNICORN_WORKERS": "2"}
    if replica:
        settings["READ_REPLICA_DATABASE_URL"] = replication.replica.url()
    process, port = start_server(replication.primary.url(), settings=settings)
    try:
        seed_requests = [("POST", "/api/v1/program_intents/", learner, None) for learner in range(1, learners + 1)]
        for _, path, learner, _ in seed_requests:
            body = {"program_uuid": PROGRAMS[learner % 5], "reason": "LEARNER_STATED", "certainty": "CERTAIN_YES"}
            call(port, "POST", path, token(learner), body)
        replication.caught_up()
        mix = requests_of(total=total, learners=learners, seed=30)
        tokens = {learner: token(learner, staff=learner == 900) for _, _, learner, _ in mix}
        primary, secondary, statuses = replication.primary.statements(), replication.replica.statements(), count()
        started = time.monotonic()
        failures = []

        def one(request):
            method, path, learner, body = request
            status, _, _ = call(port, method, path, tokens[learner], body)
            next(statuses)
            if status not in (200, 201):
                failures.append(status)

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, mix))
        seconds = time.monotonic() - started
        return {
            "mode": "replica" if replica else "writer only",
            "requests": total,
            "failures": len(failures),
            "requests_per_second": round(total / seconds, 1),
            "primary_statements_per_request": round((replication.primary.statements() - primary - 1) / total, 2),
            "replica_statements_per_request": round((replication.replica.statements() - secondary - 1) / total, 2),
        }
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    for replica in (False, True):
        replication = Replication()  # fresh servers for each mode: the same data, the same counters
        try:
            print(run(replication, replica=replica, total=args.requests, learners=args.learners, threads=args.threads))
        finally:
            replication.stop()


if __name__ == "__main__":
    main()
