"""
Benchmark ``POST /api/v1/program_intents/bulk/`` against ``bulk_insert_intents`` on the same rows, in one run.

    make bench-bulk-api                 # 10,000 intents a request, MariaDB, median of 3
    make bench-bulk-api BULK_ROWS=1000  # a smaller request (CI's smoke)
    python -m benchmarks.bench_bulk_api --rows 1000 --rounds 1 --database-url mysql://root:@127.0.0.1:3306/pie_bench_bulk_api

1. Generates the benchmarks' warehouse rows (``benchmarks.common.generate_rows``: many
   learners and programs, every reason and certainty, some repeats, a rare bad row) and
   writes them as the bulk CSV, as the same CSV gzip-compressed, and as a JSON body.
2. Serves PIE as ``make bench-api`` does (``benchmarks.serving``): gunicorn with
   ``pie/docker_gunicorn_configuration.py``, ``pie.settings.production``, a fresh RS512
   key pair; the token is a staff one
   (``administrator: true``), as a warehouse pipeline's service account holds.
3. Each round, into an emptied table (``TRUNCATE``): the command in a child process (its
   ``--json`` summary's elapsed time, which excludes Python and Django start-up), then each
   body in one request, timed by the client from the first byte sent to the last byte of
   the answer read (compression is the pipeline's, done before). Then the JSON body again:
   a retry, which must create nothing.

Prints a table of the medians, then one JSON line. Exits non-zero when an answer is not a
200, when the API and the command do not create the same count (and leave the same table),
or when a retry creates anything. Figures are for reading: a benchmark, not a test.
"""

import argparse
import gzip
import json
import statistics
import sys
import time
from http.client import HTTPConnection

from benchmarks.common import (
    DATA_DIR,
    HEADER,
    TABLE,
    database_name,
    generate_rows,
    load_with_command,
    mysql_connect,
    reset_database,
)
from benchmarks.serving import Keys, environments, gunicorn

BULK = "/api/v1/program_intents/bulk/"


def bodies(rows: int, seed: int) -> dict[str, tuple[bytes, dict]]:
    """The same rows as a CSV, a gzip CSV and a JSON body, each with its request headers."""
    records = [fields for fields, _ in generate_rows(rows=rows, seed=seed, native_uuid=False)]
    csv_text = ",".join(HEADER) + "\n" + "".join(",".join(fields) + "\n" for fields in records)
    items = [
        dict(zip(("lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp"), fields, strict=False))
        for fields in records
    ]
    for item in items:
        if item["lms_user_id"].isdigit():
            item["lms_user_id"] = int(item["lms_user_id"])
    csv_bytes = csv_text.encode()
    return {
        "json": (json.dumps({"intents": items}).encode(), {"Content-Type": "application/json"}),
        "csv": (csv_bytes, {"Content-Type": "text/csv"}),
        "csv.gz": (gzip.compress(csv_bytes), {"Content-Type": "text/csv", "Content-Encoding": "gzip"}),
    }


def post(port: int, data: bytes, headers: dict, token: str) -> tuple[int, dict, float]:
    """One request on a new connection: status, answer, and seconds from sending to the answer's end."""
    connection = HTTPConnection("127.0.0.1", port, timeout=300)
    connection.connect()
    started = time.perf_counter()
    connection.request("POST", BULK, body=data, headers={**headers, "Authorization": f"JWT {token}"})
    response = connection.getresponse()
    answer = response.read()
    seconds = time.perf_counter() - started
    connection.close()
    return response.status, json.loads(answer), seconds


def truncate(url: str) -> None:
    database = mysql_connect(url, database=database_name(url))
    with database.cursor() as cursor:
        cursor.execute(f"TRUNCATE TABLE {TABLE}")
    database.close()


def table_digest(url: str) -> tuple:
    """The table's rows as the five de-duplication fields, in a form to compare across loads."""
    database = mysql_connect(url, database=database_name(url))
    with database.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', lms_user_id, program_uuid, reason, certainty, "
            f"effective_timestamp))) FROM {TABLE}"
        )
        count, digest = cursor.fetchone()
    database.close()
    return int(count), int(digest or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="intents in the request")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240701)
    parser.add_argument("--database-url", default="mysql://root:@127.0.0.1:3306/pie_bench_bulk_api")
    parser.add_argument("--port", type=int, default=18795)
    args = parser.parse_args()
    url = args.database_url
    DATA_DIR.mkdir(exist_ok=True)
    payloads = bodies(args.rows, args.seed)
    csv_path = DATA_DIR / f"bulk-api-{args.rows}-{args.seed}.csv"
    csv_path.write_bytes(payloads["csv"][0])
    sizes = {kind: len(data) for kind, (data, _) in payloads.items()}
    print(f"{args.rows} intents a request; bodies {sizes} bytes; {url}", flush=True)
    reset_database(url=url)

    keys = Keys()
    token = keys.token(900, administrator=True)
    _, pie_env = environments(url, keys)
    pie_env["PIE_BULK_API_MAX_INTENTS"] = str(max(args.rows, 10_000))
    samples: dict[str, list[float]] = {"command": [], "json": [], "csv": [], "csv.gz": [], "json retry": []}
    counts: dict[str, set] = {kind: set() for kind in samples}
    tables: dict[str, set] = {kind: set() for kind in ("command", "json", "csv", "csv.gz")}
    with gunicorn("pie.wsgi:application", port=args.port, env=pie_env):
        # Warm-up: both workers have imported everything and know the staff user.
        for _ in range(6):
            status, answer, _ = post(args.port, *payloads["json"], token)
            if status != 200:
                sys.exit(f"warm-up: {status} {answer}")
        for _ in range(args.rounds):
            truncate(url)
            summary = load_with_command(url=url, csv_path=csv_path)
            samples["command"].append(summary["elapsed_seconds"])
            counts["command"].add((summary["created"], summary["duplicates"], summary["rejected"]))
            tables["command"].add(table_digest(url))
            for kind in ("json", "csv", "csv.gz"):
                truncate(url)
                status, answer, seconds = post(args.port, *payloads[kind], token)
                if status != 200:
                    sys.exit(f"{kind}: {status} {answer}")
                samples[kind].append(seconds)
                counts[kind].add((answer["created"], answer["duplicates"], len(answer["rejected"])))
                tables[kind].add(table_digest(url))
            status, answer, seconds = post(args.port, *payloads["json"], token)
            samples["json retry"].append(seconds)
            counts["json retry"].add((answer["created"], answer["duplicates"], len(answer["rejected"])))
    report(args.rows, samples, counts, tables)


def report(rows: int, samples: dict, counts: dict, tables: dict) -> None:
    median = {kind: statistics.median(values) for kind, values in samples.items()}
    command_rate = rows / median["command"]
    title = f"load of {rows} intents"
    print(f"\n{title:<32} {'seconds':>8} {'rows/s':>9} {'vs command':>10}  created/dup/rej")
    for kind, label in (
        ("command", "bulk_insert_intents (CSV file)"),
        ("json", "API, JSON body"),
        ("csv", "API, CSV body"),
        ("csv.gz", "API, gzip CSV body"),
        ("json retry", "API, JSON body again (retry)"),
    ):
        rate = rows / median[kind]
        created = "/".join(map(str, sorted(counts[kind])[0])) if len(counts[kind]) == 1 else str(counts[kind])
        print(f"{label:<32} {median[kind]:>8.3f} {rate:>9.0f} {rate / command_rate:>10.2f}  {created}")
    summary = {
        "rows": rows,
        "command_seconds": round(median["command"], 4),
        "command_rows_per_s": round(command_rate),
        **{f"api_{kind.replace('.', '_')}_seconds": round(median[kind], 4) for kind in ("json", "csv", "csv.gz")},
        **{
            f"api_{kind.replace('.', '_')}_vs_command": round(median["command"] / median[kind], 3)
            for kind in ("json", "csv", "csv.gz")
        },
        "retry_seconds": round(median["json retry"], 4),
    }
    print(json.dumps(summary))
    expected = counts["command"]
    wrong = [kind for kind in ("json", "csv", "csv.gz") if counts[kind] != expected]
    if len(expected) != 1 or wrong or len(set().union(*tables.values())) != 1:
        sys.exit(f"the API and the command did not record the same rows: {counts} {tables}")
    if any(created for created, _, _ in counts["json retry"]):
        sys.exit(f"a retried body created intents: {counts['json retry']}")


if __name__ == "__main__":
    main()
