"""
The event bus end to end: events produced to the real Redis (and, for the tests of PIE's
handling marked ``BOTH_BUSES``, to a real Kafka broker too) with openedx-events' producer,
read by the real consumer (``consume_certificate_events``, which runs openedx-events'
``consume_events``) as a child process, and their intents found with the selector.

The child runs with local settings (DEBUG on, so a receiver's exception would reach the
consumer) and short retry delays, against a database this test shares with it.
"""

import signal
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from openedx_events.learning.signals import PROGRAM_CERTIFICATE_AWARDED

from pie.apps.bus.constants import EventOutcome
from pie.apps.bus.models import EventHandlingStatus, FailedEvent
from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.producing import send_program_certificate_event
from pie.apps.intents.selectors import IntentRow, most_recent_and_certain
from pie.tests.support.event_bus import BOTH_BUSES
from pie.tests.support.processes import ConsumerProcess, TcpProxy, wait_until

AWARDED = PROGRAM_CERTIFICATE_AWARDED.event_type
PROGRAM = uuid.UUID("6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e")


@pytest.fixture
def start_consumer(bus, shared_database):
    consumers = []

    def start(*, database_url: str | None = None, name: str = "pie-test-consumer", **env: str) -> ConsumerProcess:
        consumer = ConsumerProcess(
            database_url=database_url or shared_database.url,
            topic_prefix=bus.prefix,
            redis_url=bus.redis_url,
            name=name,
            **bus.env,
            **env,
        )
        consumers.append(consumer)
        consumer.wait_until_consuming()
        return consumer

    yield start
    for consumer in consumers:
        consumer.stop()


def send_awarded(lms_user_id, program_uuid=PROGRAM, **metadata):
    return send_program_certificate_event(
        signal=PROGRAM_CERTIFICATE_AWARDED, lms_user_id=lms_user_id, program_uuid=program_uuid, **metadata
    )


def recorded_intent(lms_user_id: int, program_uuid=PROGRAM) -> IntentRow | None:
    found = most_recent_and_certain(lms_user_id=lms_user_id, program_uuids=[program_uuid])
    return found[0] if found else None


def handled(event_type: str = AWARDED) -> int:
    status = EventHandlingStatus.objects.filter(event_type=event_type).first()
    return status.handled_count if status else 0


def test_an_awarded_certificate_becomes_a_certain_intent_within_seconds(start_consumer, event_bus):
    consumer = start_consumer()
    metadata = send_awarded(101)
    assert event_bus.length() == 1, "the producer did not add the event to the stream"

    intent = wait_until(lambda: recorded_intent(101), timeout=10, what="the intent", log=consumer.log)
    assert intent.effective_timestamp == metadata.time
    assert (intent.reason, intent.certainty) == (IntentReason.EARNED_PROGRAM_CERT, IntentCertainty.CERTAIN_YES)
    wait_until(lambda: event_bus.pending() == 0, what="the acknowledgement", log=consumer.log)
    status = EventHandlingStatus.objects.get(event_type=AWARDED)
    assert (status.last_event_id, status.last_outcome) == (metadata.id, EventOutcome.RECORDED)


def test_an_event_produced_before_the_first_consumer_is_read(start_consumer, event_bus):
    # No group exists yet: the first consumer creates it at the stream's start (docs/events.rst).
    send_awarded(108)
    assert event_bus.length() == 1
    consumer = start_consumer()
    wait_until(lambda: recorded_intent(108), timeout=10, what="the intent", log=consumer.log)


@BOTH_BUSES
def test_the_same_event_twice_leaves_one_intent(start_consumer):
    consumer = start_consumer()
    time, event_id = datetime(2026, 3, 1, 12, 30, 0, 123456, tzinfo=UTC), uuid.uuid1()
    send_awarded(102, time=time, event_id=event_id)
    send_awarded(102, time=time, event_id=event_id)

    wait_until(lambda: handled() == 2, what="both deliveries handled", log=consumer.log)
    assert ProgramIntent.objects.filter(lms_user_id=102).count() == 1
    assert recorded_intent(102).effective_timestamp == time
    assert EventHandlingStatus.objects.get(event_type=AWARDED).last_outcome == EventOutcome.DUPLICATE


def test_events_that_do_not_map_are_skipped_and_the_consumer_goes_on(start_consumer, event_bus):
    consumer = start_consumer()
    send_awarded(103, program_uuid="not-a-uuid")
    send_awarded(0, program_uuid=PROGRAM)  # not an LMS user id
    # Not an event at all: the consumer cannot read it, logs it and goes on.
    event_bus.client.xadd(event_bus.stream, {b"event_data": b"\x00garbage"})
    good = send_awarded(104)

    intent = wait_until(lambda: recorded_intent(104), timeout=10, what="the good event's intent", log=consumer.log)
    assert intent.effective_timestamp == good.time
    assert consumer.running()
    assert consumer.count("which maps to no intent") == 2
    assert consumer.count("Error consuming event from Redis") == 1  # the unreadable message only
    assert not ProgramIntent.objects.exclude(lms_user_id=104).exists()
    assert not FailedEvent.objects.exists()
    wait_until(lambda: event_bus.pending() == 0, what="every message acknowledged", log=consumer.log)


@BOTH_BUSES
def test_an_event_refused_past_its_retries_is_kept_then_replayed(start_consumer, refuse_intents_of, capsys):
    consumer = start_consumer()
    refuse_intents_of(105)
    refused = send_awarded(105)
    kept = wait_until(lambda: FailedEvent.objects.first(), what="the kept event", log=consumer.log)
    assert (kept.event_id, kept.event_time, kept.lms_user_id, kept.values["program_uuid"]) == (
        refused.id,
        refused.time,
        105,
        str(PROGRAM),
    )
    assert kept.attempts == 3
    assert "refused by the test" in kept.error
    assert recorded_intent(105) is None
    # The consumer goes on with the next event.
    send_awarded(106)
    wait_until(lambda: recorded_intent(106), what="the next event's intent", log=consumer.log)
    assert consumer.running()

    refuse_intents_of(None)
    call_command("replay_failed_events")
    assert "1 recorded" in capsys.readouterr().out
    assert recorded_intent(105).effective_timestamp == refused.time
    assert not FailedEvent.objects.exists()
    call_command("replay_failed_events")  # nothing left: records nothing, fails nothing
    assert ProgramIntent.objects.filter(lms_user_id=105).count() == 1


@pytest.mark.mysql
def test_an_event_waits_while_the_database_is_unreachable(start_consumer, shared_database, event_bus):
    proxy = TcpProxy((shared_database.host, shared_database.port)).start()
    try:
        consumer = start_consumer(database_url=shared_database.url_through(proxy.port))
        send_awarded(107)
        wait_until(lambda: recorded_intent(107), what="the first intent", log=consumer.log)

        proxy.stop()
        during = send_awarded(108, time=datetime.now(UTC) - timedelta(seconds=1))
        consumer.wait_for_log("The database is unreachable", count=3)
        assert recorded_intent(108) is None
        assert event_bus.pending() == 1, "the consumer acknowledged an event it had not stored"

        proxy.start()
        intent = wait_until(lambda: recorded_intent(108), what="the intent once the database is back", log=consumer.log)
        assert intent.effective_timestamp == during.time
        wait_until(lambda: event_bus.pending() == 0, what="the acknowledgement", log=consumer.log)
        assert consumer.running()
        assert not FailedEvent.objects.exists()
    finally:
        proxy.stop()


@pytest.mark.mysql
@pytest.mark.parametrize(
    ("restarted_as", "claim_after"),
    [("pie-test-a", "60"), ("pie-test-b", "0")],
    ids=["restarted under its name", "another consumer claims what it held"],
)
def test_ctrl_c_while_the_database_is_unreachable_loses_nothing(
    start_consumer, shared_database, event_bus, restarted_as, claim_after
):
    proxy = TcpProxy((shared_database.host, shared_database.port)).start()
    try:
        consumer = start_consumer(database_url=shared_database.url_through(proxy.port), name="pie-test-a")
        proxy.stop()
        waiting = send_awarded(109)
        consumer.wait_for_log("The database is unreachable")
        consumer.process.send_signal(signal.SIGINT)
        assert consumer.process.wait(timeout=10) == -signal.SIGINT
        assert event_bus.pending() == 1, "the interrupted consumer acknowledged the event"

        # Started again under its name, a consumer first reads what it had not acknowledged;
        # under another name, it takes over what the group left pending long enough.
        proxy.start()
        restarted = start_consumer(
            database_url=shared_database.url_through(proxy.port),
            name=restarted_as,
            PIE_EVENT_BUS_CLAIM_PENDING_AFTER_SECONDS=claim_after,
        )
        intent = wait_until(lambda: recorded_intent(109), what="the intent after the restart", log=restarted.log)
        assert intent.effective_timestamp == waiting.time
        wait_until(lambda: event_bus.pending() == 0, what="the acknowledgement", log=restarted.log)
    finally:
        proxy.stop()


@pytest.mark.mysql
def test_a_database_that_accepts_and_never_answers_is_an_outage_the_consumer_waits_out(
    start_consumer, shared_database, event_bus
):
    proxy = TcpProxy((shared_database.host, shared_database.port)).start()
    try:
        consumer = start_consumer(
            database_url=shared_database.url_through(proxy.port), DATABASE_CONNECT_TIMEOUT_SECONDS="1"
        )
        proxy.hang()
        during = send_awarded(110)
        # Each try fails within the connect timeout, and is logged, one line each.
        consumer.wait_for_log("The database is unreachable", count=2)
        assert recorded_intent(110) is None
        assert event_bus.pending() == 1, "the consumer acknowledged an event it had not stored"

        proxy.resume()
        intent = wait_until(lambda: recorded_intent(110), what="the intent once the database answers", log=consumer.log)
        assert intent.effective_timestamp == during.time
        wait_until(lambda: event_bus.pending() == 0, what="the acknowledgement", log=consumer.log)
        assert consumer.running()
    finally:
        proxy.stop()
