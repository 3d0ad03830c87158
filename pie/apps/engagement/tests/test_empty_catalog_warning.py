"""A consumer of enrollments or passing states that starts with an empty catalog warns, once, to run copy_catalog."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
WARNING = "The program catalog is empty"


def _first_seconds_of(kind: str, env: dict, seconds: float = 20) -> str:
    """The consumer's standard error until it logs the warning, or for ``seconds``; then it is stopped."""
    consumer = subprocess.Popen(
        [sys.executable, "manage.py", "consume_course_events", kind],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    os.set_blocking(consumer.stderr.fileno(), False)
    seen, deadline = "", time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and WARNING not in seen and consumer.poll() is None:
            seen += (consumer.stderr.read() or b"").decode()
            time.sleep(0.2)
    finally:
        consumer.terminate()
        consumer.wait(timeout=15)
    return seen + (consumer.stderr.read() or b"").decode()


@pytest.mark.parametrize(("kind", "warns"), [("passing", True), ("enrollment", True), ("unenrollment", False)])
def test_an_empty_catalog_is_a_warning_for_the_rules_that_need_it(event_bus, tmp_path, kind, warns):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pie.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "EVENT_BUS_REDIS_CONNECTION_URL": event_bus.url,
        "EVENT_BUS_TOPIC_PREFIX": event_bus.prefix,
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seen = _first_seconds_of(kind, env, seconds=20 if warns else 8)
    assert (WARNING in seen) is warns, seen
    if warns:
        assert "copy_catalog" in seen
        subprocess.run(
            [sys.executable, "manage.py", "produce_demo_enrollments"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        assert WARNING not in _first_seconds_of(kind, env, seconds=8)  # the demo program is a catalog
