"""
The event bus's commands and configuration: the demo producer, the consumer's start, the
status command, and a web app that never needs Redis.
"""

import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from openedx_events.event_bus.avro.deserializer import deserialize_bytes_to_event_data
from openedx_events.learning.signals import PROGRAM_CERTIFICATE_AWARDED, PROGRAM_CERTIFICATE_REVOKED

from pie.apps.intents.tests.certificates import certificate, send

DEAD_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there


def test_the_demo_event_reaches_the_bus(event_bus, capsys):
    call_command("produce_demo_certificate_event", "--lms-user-id", "41")
    assert capsys.readouterr().out.startswith(f"Sent {PROGRAM_CERTIFICATE_AWARDED.event_type} ")
    ((_, fields),) = event_bus.client.xrange(event_bus.stream)
    assert fields[b"type"] == PROGRAM_CERTIFICATE_AWARDED.event_type.encode()
    data = deserialize_bytes_to_event_data(fields[b"event_data"], PROGRAM_CERTIFICATE_AWARDED)
    assert data["program_certificate"].user.id == 41
    assert data["program_certificate"].program.uuid == "6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e"


@pytest.mark.filterwarnings("ignore:Event Bus setting EVENT_BUS_PRODUCER is missing", "ignore:Failed to load")
@pytest.mark.parametrize(
    ("setting", "value", "command", "error"),
    [
        (
            "EVENT_BUS_REDIS_CONNECTION_URL",
            DEAD_REDIS,
            "produce_demo_certificate_event",
            "The event was not sent: Error 111 connecting",
        ),
        ("EVENT_BUS_PRODUCER", None, "produce_demo_certificate_event", "No event bus producer is configured"),
        ("EVENT_BUS_REDIS_CONNECTION_URL", None, "consume_certificate_events", "EVENT_BUS_REDIS_CONNECTION_URL is not"),
        # consume_events logs a consumer it cannot make, and returns: the process would end with 0.
        ("EVENT_BUS_CONSUMER", "pie.no.such.Consumer", "consume_certificate_events", "The event consumer stopped"),
    ],
    ids=["redis down", "no producer", "no redis url", "no consumer"],
)
def test_a_bus_that_is_not_there_is_an_error_of_the_command(settings, setting, value, command, error):
    setattr(settings, setting, value)
    # The consumer gives this process's connections read timeouts: the suite's own are kept.
    options = dict(connection.settings_dict.get("OPTIONS", {}))
    try:
        with pytest.raises(CommandError, match=error):
            call_command(command)
    finally:
        connection.settings_dict["OPTIONS"] = options


@pytest.mark.django_db
def test_the_status_command_shows_the_last_event_and_the_failed_events(capsys):
    call_command("event_consumer_status")
    assert capsys.readouterr().out.splitlines() == ["No event handled yet.", "Failed events waiting to be replayed: 0"]

    send(PROGRAM_CERTIFICATE_AWARDED, certificate(lms_user_id=42))
    send(PROGRAM_CERTIFICATE_REVOKED, certificate(lms_user_id=42, status="revoked"))
    call_command("event_consumer_status", "--json")
    status = json.loads(capsys.readouterr().out)
    assert status["failed_events"] == 0
    assert status["oldest_failed_event"] is None
    by_type = {entry["event_type"]: entry for entry in status["event_types"]}
    awarded = by_type[PROGRAM_CERTIFICATE_AWARDED.event_type]
    assert (awarded["handled"], awarded["last_outcome"]) == (1, "RECORDED")
    assert uuid.UUID(awarded["last_event_id"])
    assert by_type[PROGRAM_CERTIFICATE_REVOKED.event_type]["last_outcome"] == "IGNORED"

    call_command("event_consumer_status")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{PROGRAM_CERTIFICATE_AWARDED.event_type}: 1 handled; the last at ")
    assert lines[-1] == "Failed events waiting to be replayed: 0"


@pytest.mark.django_db
def test_the_web_app_needs_no_redis(settings, client):
    settings.EVENT_BUS_REDIS_CONNECTION_URL = DEAD_REDIS
    assert client.get("/health/").status_code == 200
