#!/usr/bin/env python
"""
Benchmark PIE's HTTP API against a bare WSGI app on the same machine, in one run.

    make bench-api                 # 1,000,000 intents for 100,000 learners, MariaDB
    make bench-api ROWS=20000      # the same, smaller (CI runs a smoke of it)

1. Seeds a fresh MariaDB database through ``bulk_insert_intents`` (the bulk benchmark's
   generator, ``ROWS / 10`` learners), plus one learner with 10,000 intents over 1,000
   programs.
2. Serves, with ``pie/docker_gunicorn_configuration.py`` (2 workers x 4 threads, gthread):
   the ceiling (``scripts/bare_wsgi.py``: JSON after one ``SELECT 1``), then PIE with
   ``pie.settings.production`` configured as an operator would: a freshly generated RS512
   key pair, its public half as the JWK set, tokens signed with the private half.
3. From wrk (a second process, ``scripts/bench_api.lua``): the ceiling, PIE's ``/health/``,
   and the dashboard mix (90% GET ``most_recent_and_certain``, 10% POST of a new intent)
   over 5,000 learners' tokens, after a warm-up that made each learner's local user.
4. The GET latency of a 10-intent learner and of the 10,000-intent learner, one request
   at a time, against the bare driver running the selector's own SQL.

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
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_bulk import DATA_DIR, ROOT, _mysql_connect, reset_database, write_csv

HEAVY_LEARNER = 2_000_000_000
ISSUER, AUDIENCE = "https://lms.example.com/oauth2", "pie-bench"
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
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="pie.settings.local")
    subprocess.run(
        [sys.executable, "manage.py", "bulk_insert_intents", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


class Keys:
    """A fresh RS512 key pair: the public half for PIE's settings, the private half to sign tokens."""

    def __init__(self):
        import jwt
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        self._jwt = jwt
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        self.jwk_set = json.dumps({"keys": [{**public, "kid": "bench", "use": "sig"}]})

    def token(self, lms_user_id: int, *, administrator: bool = False) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 3 * 3600,
            "user_id": lms_user_id,
            "preferred_username": f"learner{lms_user_id}",
            "email": f"learner{lms_user_id}@example.com",
            "administrator": administrator,
            "version": "1.2.0",
            "scopes": ["user_id", "email", "profile"],
            "filters": [],
        }
        return self._jwt.encode(claims, self._key, algorithm="RS512", headers={"kid": "bench"})


def environments(url: str, keys: Keys) -> tuple[dict, dict]:
    """The benchmark's environment, and PIE's: production settings as an operator gives them, trusting ``keys``."""
    env = dict(os.environ, DATABASE_URL=url)
    env.pop("PYTHONPATH", None)
    pie_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "pie.settings.production",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "JWT_PUBLIC_SIGNING_JWK_SET": keys.jwk_set,
        "JWT_ISSUERS": json.dumps([{"ISSUER": ISSUER, "AUDIENCE": AUDIENCE, "SECRET_KEY": None}]),
        "CACHE_REDIS_URL": os.environ.get("PIE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "PIE_RETIREMENT_SALTS": uuid.uuid4().hex,
        "SOCIAL_AUTH_EDX_OAUTH2_KEY": "pie-bench-sso-key",
        "SOCIAL_AUTH_EDX_OAUTH2_SECRET": uuid.uuid4().hex,
        "SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT": "http://127.0.0.1:18000",
    }
    return env, pie_env


@contextmanager
def gunicorn(app: str, *, port: int, env: dict, chdir: Path, ready: str):
    """A gunicorn with PIE's configuration module serving ``app``, until the block ends."""
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4"}
    config = ROOT / "pie" / "docker_gunicorn_configuration.py"
    log = (DATA_DIR / f"gunicorn-{port}.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(config), "--chdir", str(chdir), app],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(port, server, ready)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_until_up(port: int, server: subprocess.Popen, path: str) -> None:
    for _ in range(300):
        if server.poll() is not None:
            sys.exit(f"gunicorn on port {port} exited; see {DATA_DIR}/gunicorn-{port}.log")
        try:
            status, _ = http_get(port, path)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"gunicorn on port {port} did not answer")


def http_get(port: int, path: str, token: str | None = None):
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Authorization": f"JWT {token}"} if token else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def wrk(url: str, *, mode: str, seconds: int, env: dict, threads: int = 2, connections: int = 16) -> dict:
    """Run wrk; its counts and latency percentiles."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    command += ["-s", str(ROOT / "scripts/bench_api.lua"), url]
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


def driver_connection(url: str):
    """A bare MySQLdb connection in the session Django gives its own (autocommit, isolation, modes, UTC)."""
    database = _mysql_connect(url, database=urlparse(url).path.lstrip("/"))
    database.autocommit(True)
    with database.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cursor.execute(
            "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO', "
            "time_zone='+00:00'"
        )
    return database


def latencies(*, port: int, url: str, keys: Keys, learner: int, seconds: int, env: dict) -> dict:
    """
    PIE's GET for ``learner``, one request at a time (wrk, one connection), and the bare
    driver running the selector's own SQL as many times, in the same session settings.
    """
    from pie.apps.intents.selectors import _most_recent_and_certain_sql

    token = keys.token(learner)
    database = driver_connection(url)
    cursor = database.cursor()
    sql = _most_recent_and_certain_sql("mysql", None) % learner

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
    url, learners = args.database_url, max(args.rows // 10, 10)
    print(f"{args.rows} intents for {learners} learners, and learner {HEAVY_LEARNER} with 10,000; {url}", flush=True)
    seed(url=url, rows=args.rows, learners=learners)
    keys = Keys()
    env, pie_env = environments(url, keys)
    os.environ.update(pie_env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    ceiling_port = args.port + 1
    with gunicorn("bare_wsgi:application", port=ceiling_port, env=env, chdir=ROOT / "scripts", ready="/"):
        ceiling = wrk(f"http://127.0.0.1:{ceiling_port}/", mode="get", seconds=args.seconds, env=env)
    tokens_file = DATA_DIR / "api-tokens.txt"
    tokens = {n: keys.token(n) for n in range(1, min(args.tokens, learners) + 1)}
    tokens_file.write_text("".join(f"{n} {token}\n" for n, token in tokens.items()))
    with gunicorn("pie.wsgi:application", port=args.port, env=pie_env, chdir=ROOT, ready="/health/"):
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
    database = _mysql_connect(url, database=urlparse(url).path.lstrip("/"))
    with database.cursor() as cursor:
        cursor.execute(
            f"SELECT lms_user_id FROM intents_programintent GROUP BY lms_user_id HAVING COUNT(*) = {intents:d} LIMIT 1"
        )
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
