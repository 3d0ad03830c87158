"""
The failed-event store and the handling status moved from the intents app to the bus
(bus 0001, intents 0008) without touching their tables: rows kept before the move are the
bus's after it, on every backend (the suite runs this on SQLite and MariaDB).
"""

import uuid
from datetime import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pie.apps.bus.models import EventHandlingStatus, FailedEvent

BEFORE = [("intents", "0007_program_index"), ("bus", None)]
AWARDED = "org.openedx.learning.program.certificate.awarded.v1"
EVENT_ID = uuid.UUID("5d9d3e0c-7f7a-4d1c-8a52-0c1b2a3d4e5f")


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_kept_before_the_move_are_the_bus_s_after_it():
    _migrate(BEFORE)
    q = connection.ops.quote_name
    kept_at, handled_at = datetime(2024, 1, 1), datetime(2024, 1, 2)  # naive: UTC, as Django stores them
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {q('intents_failedevent')} (event_type, event_id, kind, event_time, lms_user_id,"
                f" {q('values')}, attempts, error, created) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    AWARDED,
                    EVENT_ID.hex,
                    "intent",
                    kept_at,
                    42,
                    '{"reason": "EARNED_PROGRAM_CERT"}',
                    3,
                    "Error()",
                    kept_at,
                ],
            )
            cursor.execute(
                f"INSERT INTO {q('intents_eventhandlingstatus')} (event_type, last_event_id, last_event_time,"
                " last_outcome, last_handled_at, handled_count) VALUES (%s, %s, %s, %s, %s, %s)",
                [AWARDED, EVENT_ID.hex, kept_at, "KEPT", handled_at, 7],
            )
    finally:
        _migrate(_latest())
    kept = FailedEvent.objects.get()
    assert (kept.event_id, kept.kind, kept.lms_user_id, kept.values) == (
        EVENT_ID,
        "intent",
        42,
        {"reason": "EARNED_PROGRAM_CERT"},
    )
    status = EventHandlingStatus.objects.get()
    assert (status.last_event_id, status.last_outcome, status.handled_count) == (EVENT_ID, "KEPT", 7)
