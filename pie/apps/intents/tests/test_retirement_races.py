"""
Retirement raced by writes (ADR 0017): writers on real concurrent connections record intents
for a learner while the learner is retired; afterwards nothing of the learner is left, on
MariaDB and on SQLite, through each door: the service (the POST's path and the event's),
the bulk API, the bulk command (child processes) and the event recording.
"""

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from subprocess import PIPE

import pytest
from django.db import connections
from rest_framework.test import APIClient

from pie.apps.bus.constants import EventOutcome
from pie.apps.bus.recording import BusEvent
from pie.apps.core.exceptions import LearnerRetiredError
from pie.apps.core.tokens import mint_lms_jwt
from pie.apps.intents import services
from pie.apps.intents.events_to_intents import record_intent_from_event
from pie.apps.intents.models import ProgramIntent
from pie.tests.support.processes import ROOT

X = 4242  # the learner being retired
PROGRAM = uuid.UUID("6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e")
WHEN = datetime(2024, 7, 1, tzinfo=UTC)
TRIALS = 8
WRITERS = 6
# Writes each writer makes once it saw the retirement done: all must be refused.
AFTER = 3


@pytest.fixture
def concurrent(shared_database):
    """
    A function opening the test's database in the calling thread: each thread has its own
    connection, as each request or consumer has its own. On SQLite, the shared file.
    """
    main = connections["default"]

    def open_here() -> None:
        if main.vendor == "sqlite":
            connections["default"] = main.__class__(dict(main.settings_dict), "default")

    return open_here


def intent(n: int, *, learner: int = X) -> dict:
    return {
        "lms_user_id": learner,
        "program_uuid": PROGRAM,
        "reason": "LEARNER_STATED",
        "certainty": "CERTAIN_YES",
        "effective_timestamp": WHEN + timedelta(seconds=n),
    }


def race(open_here: Callable[[], None], write: Callable[[int, int], None]) -> dict:
    """
    ``WRITERS`` threads call ``write(writer, n)`` for n = 0, 1, ... while another retires
    ``X`` once the first writes are in; each writer goes on for ``AFTER`` writes after it
    saw the retirement done. Returns the counts; any error other than a refusal fails.
    """
    started = threading.Barrier(WRITERS + 1)
    first_writes, retired = threading.Event(), threading.Event()
    outcome = {"written": 0, "refused": 0, "errors": []}
    lock = threading.Lock()

    def writer(number: int) -> None:
        open_here()
        try:
            started.wait(timeout=30)
            n, after = 0, 0
            while after < AFTER:
                if retired.is_set():
                    after += 1
                try:
                    write(number, n)
                    with lock:
                        outcome["written"] += 1
                except LearnerRetiredError:
                    with lock:
                        outcome["refused"] += 1
                first_writes.set()
                n += 1
        except Exception as error:  # reported by the assertion of the caller
            outcome["errors"].append(repr(error))
        finally:
            connections.close_all()

    def retire() -> None:
        open_here()
        try:
            started.wait(timeout=30)
            assert first_writes.wait(timeout=30)
            services.retire_learner(lms_user_id=X)
        except Exception as error:
            outcome["errors"].append(repr(error))
        finally:
            retired.set()
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(WRITERS)]
    threads.append(threading.Thread(target=retire))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcome


def assert_nothing_left_of_x(outcome: dict) -> None:
    assert outcome["errors"] == []
    assert outcome["refused"] >= WRITERS * AFTER  # every write after the retirement was refused
    assert list(ProgramIntent.objects.filter(lms_user_id=X).values_list("id", "created")) == []


@pytest.fixture
def fresh_learner(settings):
    """Each trial retires X under a salt of its own, so that X starts the trial not retired."""

    def next_trial(trial: int) -> None:
        settings.PIE_RETIREMENT_SALTS = [f"race-trial-{uuid.uuid4()}"]

    return next_trial


@pytest.mark.django_db(transaction=True)
def test_single_writes_racing_a_retirement_leave_nothing(concurrent, fresh_learner):
    for trial in range(TRIALS):
        fresh_learner(trial)

        def write(writer: int, n: int, trial: int = trial) -> None:
            services.record_intent(**intent(trial * 100_000 + writer * 1000 + n))

        assert_nothing_left_of_x(race(concurrent, write))


@pytest.mark.django_db(transaction=True)
def test_events_racing_a_retirement_leave_nothing(concurrent, fresh_learner):
    for trial in range(TRIALS):
        fresh_learner(trial)

        def write(writer: int, n: int, trial: int = trial) -> None:
            at = WHEN + timedelta(seconds=trial * 100_000 + writer * 1000 + n)
            outcome = record_intent_from_event(
                event=BusEvent(
                    event_type="org.openedx.learning.program.certificate.awarded.v1", event_id=uuid.uuid4(), time=at
                ),
                intent={**intent(0), "reason": "EARNED_PROGRAM_CERT", "effective_timestamp": at},
            )
            if outcome == EventOutcome.SKIPPED:
                raise LearnerRetiredError()
            assert outcome == EventOutcome.RECORDED

        assert_nothing_left_of_x(race(concurrent, write))


@pytest.mark.django_db(transaction=True)
def test_bulk_requests_racing_a_retirement_leave_nothing(concurrent, fresh_learner):
    token = mint_lms_jwt(lms_user_id=900, username="pipeline", administrator=True)
    for trial in range(TRIALS):
        fresh_learner(trial)

        def write(writer: int, n: int, trial: int = trial) -> None:
            base = trial * 100_000 + writer * 1000 + n
            # Other learners' rows first, the learner's last, as the pipeline sends them.
            items = [intent(base, learner=learner) for learner in range(10_000, 10_200)] + [intent(base)]
            body = {
                "intents": [
                    {**item, "program_uuid": str(PROGRAM), "effective_timestamp": str(item["effective_timestamp"])}
                    for item in items
                ]
            }
            client = APIClient()  # a client of its own for each thread's request
            client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
            response = client.post("/api/v1/program_intents/bulk/", json.dumps(body), content_type="application/json")
            assert response.status_code == 200, response.content
            if response.json()["rejected"]:
                assert [item["index"] for item in response.json()["rejected"]] == [len(items) - 1]
                raise LearnerRetiredError()

        assert_nothing_left_of_x(race(concurrent, write))


@pytest.mark.django_db(transaction=True)
def test_bulk_loads_racing_a_retirement_leave_nothing(shared_database, tmp_path):
    """Two ``bulk_insert_intents`` processes load files whose last rows are the learner's."""
    env = {**os.environ, "DATABASE_URL": shared_database.url, "DJANGO_SETTINGS_MODULE": "pie.settings.local"}
    env.pop("PYTHONPATH", None)
    for trial in range(4):
        learner = X + 1 + trial  # the children hash with the local settings' salt: a new learner each trial
        paths = []
        for child in range(2):
            second = trial * 2 + child
            rows = [f"{other},{PROGRAM},LEARNER_STATED,CERTAIN_YES,2024-07-01 00:00:{second:02d} Z" for other in OTHERS]
            rows += [
                f"{learner},{PROGRAM},LEARNER_STATED,CERTAIN_YES,2024-07-{day:02d} 00:00:{second:02d} Z" for day in DAYS
            ]
            paths.append(tmp_path / f"trial{trial}-child{child}.csv")
            paths[-1].write_text("\n".join([HEADER, *rows]) + "\n")
        command = [
            sys.executable,
            "manage.py",
            "bulk_insert_intents",
            "--batch-size",
            "250",
            "--progress-interval",
            "0",
        ]
        children = [
            subprocess.Popen([*command, str(path)], cwd=ROOT, env=env, stdout=PIPE, stderr=PIPE, text=True)
            for path in paths
        ]
        # Retired once the first child has written a batch: the learner's rows come last.
        for line in children[0].stderr:
            if "rows read" in line:
                break
        services.retire_learner(lms_user_id=learner)
        outputs = [child.communicate(timeout=120) for child in children]
        # Each child loaded every other row, and the learner's were rejected (exit 2) or deleted.
        assert all(child.returncode in (0, 2) for child in children), outputs
        assert not ProgramIntent.objects.filter(lms_user_id=learner).exists()
        assert ProgramIntent.objects.filter(lms_user_id__in=OTHERS).count() == len(OTHERS) * 2 * (trial + 1)


HEADER = "user_id,program_uuid,intent_reason,intent_certainty,effective_time"
OTHERS = range(20_000, 23_000)
DAYS = range(1, 29)
