"""
A backfill raced by retirements, both under the production settings, on MySQL/MariaDB.

A ``bulk_insert_enrollments`` process loads a file whose every learner covers a program while
a second process retires some of its learners one after another, from its first batch on.
Every retirement succeeds without waiting out a lock, the load finishes, nothing of a retired
learner is left and every other learner has their intent. The load's standard error is read
all along: a process whose output nobody reads stops at its next log line, inside a
transaction, holding its learners' locks (the lock waits an earlier version of this test saw).
"""

import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from subprocess import PIPE

import pytest

from pie.apps.catalog.api import ListedProgram, replace_catalog
from pie.apps.engagement.models import CourseFact, LearnerLock
from pie.apps.intents.models import ProgramIntent
from pie.tests.production import full_production_env
from pie.tests.support.processes import ROOT

pytestmark = pytest.mark.mysql

PROGRAM = uuid.UUID(int=12, version=4)
A, B = "course-v1:edX+RA+1T2026", "course-v1:edX+RB+1T2026"
LEARNERS = range(300_000, 320_000)
# Retired while the load runs: spread over the file, so some are retired before their rows
# are read, some between their facts and their evaluation, some after it.
RETIRED = LEARNERS[7::97]

RETIRER = """
import os, time
from pie.apps.intents.services import retire_learner
for learner in map(int, os.environ["RETIRE"].split()):
    started = time.monotonic()
    retire_learner(lms_user_id=learner)
    print(learner, round(time.monotonic() - started, 3), time.monotonic(), flush=True)
    time.sleep(0.02)
"""


@pytest.mark.django_db(transaction=True)
def test_retirements_racing_a_backfill_all_succeed_and_the_load_finishes(shared_database, tmp_path):
    replace_catalog(
        [
            ListedProgram(
                uuid=PROGRAM, title="P", status="active", courses={"edX+RA": frozenset({A}), "edX+RB": frozenset({B})}
            )
        ],
        delete=False,
        copied_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    path = tmp_path / "enrollments.csv"
    lines = ["user_id,course_id,mode,is_active,created,modified"]
    lines += [
        f"{learner},{run},audit,1,2025-03-01 10:00:00 Z,2025-04-01 00:00:00 Z" for learner in LEARNERS for run in (A, B)
    ]
    path.write_text("\n".join(lines) + "\n")
    env = {**os.environ, **full_production_env(database_url=shared_database.url)}
    env.pop("PYTHONPATH", None)
    manage = [sys.executable, "manage.py"]
    load = subprocess.Popen(
        [*manage, "bulk_insert_enrollments", str(path), "--batch-size", "1000", "--progress-interval", "0"],
        cwd=ROOT,
        env=env,
        stdout=PIPE,
        stderr=PIPE,
        text=True,
    )
    # The load's output is read all along (a full pipe would stop it); retirements start once
    # its first batch is in.
    err_lines, started = [], threading.Event()

    def read_err() -> None:
        for line in load.stderr:
            err_lines.append(line)
            if "rows read" in line:
                started.set()

    reader = threading.Thread(target=read_err, daemon=True)
    reader.start()
    assert started.wait(120), "".join(err_lines)
    retirer = subprocess.Popen(
        [*manage, "shell", "--no-imports", "-c", RETIRER],
        cwd=ROOT,
        env={**env, "RETIRE": " ".join(map(str, RETIRED))},
        stdout=PIPE,
        stderr=PIPE,
        text=True,
    )
    out = load.stdout.read()
    load.wait(timeout=600)
    load_ended = time.monotonic()
    retired_out, retired_err = retirer.communicate(timeout=600)
    reader.join(timeout=60)
    err = "".join(err_lines)
    assert retirer.returncode == 0, retired_err[-3000:]
    done = [line.split() for line in retired_out.splitlines()]
    assert len(done) == len(RETIRED), retired_out
    waits = [float(wait) for _, wait, _ in done]
    # The race happened: retirements finished while the load ran.
    assert sum(float(at) < load_ended for _, _, at in done) > len(RETIRED) / 2
    # A retirement never waits out the database's lock wait (50 s by default).
    assert max(waits) < 10, waits
    assert load.returncode in (0, 2), (out, err[-3000:])
    assert "Traceback" not in err
    assert not CourseFact.objects.filter(lms_user_id__in=RETIRED).exists()
    assert not LearnerLock.objects.filter(lms_user_id__in=RETIRED).exists()
    assert not ProgramIntent.objects.filter(lms_user_id__in=RETIRED).exists()
    kept = set(LEARNERS) - set(RETIRED)
    recorded = set(ProgramIntent.objects.filter(program_uuid=PROGRAM).values_list("lms_user_id", flat=True))
    assert recorded == kept
