"""
events.recording and events.retry in this process: a write the database refuses is tried,
then kept; the failed-event store and its replay (its deletion by learner: test_retirement).

The database refuses through a trigger (the ``refuse_intents_of`` fixture), so these tests
are transactional: MySQL commits around a CREATE TRIGGER.
"""

import signal
import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from pie.apps.bus import retry
from pie.apps.bus.constants import EventOutcome
from pie.apps.bus.models import FailedEvent
from pie.apps.bus.recording import BusEvent, replay_failed_events
from pie.apps.intents import services
from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.events_to_intents import record_intent_from_event
from pie.apps.intents.models import ProgramIntent

AWARDED = "org.openedx.learning.program.certificate.awarded.v1"
PROGRAM = uuid.UUID("0b5f2d38-6a4e-4c71-9f0e-2a8d3c5b7e61")
TIME = datetime(2025, 11, 3, 8, 0, 0, 500, tzinfo=UTC)

pytestmark = pytest.mark.django_db(transaction=True)


def event() -> BusEvent:
    return BusEvent(event_type=AWARDED, event_id=uuid.uuid1(), time=TIME)


def record(lms_user_id: int, bus_event: BusEvent | None = None) -> EventOutcome:
    bus_event = bus_event or event()
    return record_intent_from_event(
        event=bus_event,
        intent={
            "lms_user_id": lms_user_id,
            "program_uuid": PROGRAM,
            "reason": IntentReason.EARNED_PROGRAM_CERT,
            "certainty": IntentCertainty.CERTAIN_YES,
            "effective_timestamp": bus_event.time,
        },
    )


def test_a_write_the_database_refuses_is_tried_then_kept(refuse_intents_of, caplog, settings):
    refuse_intents_of(21)
    refused = event()
    assert record(21, refused) == EventOutcome.KEPT

    kept = FailedEvent.objects.get()
    assert (kept.event_type, kept.event_id, kept.event_time) == (AWARDED, refused.event_id, TIME)
    assert (kept.lms_user_id, kept.values) == (
        21,
        {
            "program_uuid": str(PROGRAM),
            "effective_timestamp": TIME.isoformat(),
            "reason": IntentReason.EARNED_PROGRAM_CERT,
            "certainty": IntentCertainty.CERTAIN_YES,
        },
    )
    assert kept.attempts == settings.PIE_EVENT_WRITE_ATTEMPTS
    assert "refused by the test" in kept.error
    assert caplog.text.count("trying again in") == settings.PIE_EVENT_WRITE_ATTEMPTS - 1
    assert "Keeping event" in caplog.text
    assert not ProgramIntent.objects.exists()


def test_the_store_keeps_only_what_pie_maps():
    fields = {field.name for field in FailedEvent._meta.get_fields()}
    assert fields == {
        "id",
        "event_type",
        "event_id",
        "kind",
        "event_time",
        "lms_user_id",
        "values",
        "attempts",
        "error",
        "created",
    }


def test_the_same_event_failing_twice_is_kept_once(refuse_intents_of):
    refuse_intents_of(22)
    again = event()
    assert record(22, again) == EventOutcome.KEPT
    assert record(22, again) == EventOutcome.KEPT
    assert FailedEvent.objects.count() == 1


def test_replay_records_a_kept_event_once(refuse_intents_of, capsys):
    refuse_intents_of(23)
    record(23)
    refuse_intents_of(None)
    call_command("replay_failed_events")
    assert (
        capsys.readouterr().out.strip()
        == "Replayed failed events: 1 recorded, 0 already recorded, 0 still failing, 0 not due yet, "
        "0 forgotten (retired learners)"
    )
    assert ProgramIntent.objects.get(lms_user_id=23).effective_timestamp == TIME
    assert not FailedEvent.objects.exists()
    call_command("replay_failed_events")
    assert "0 recorded, 0 already recorded, 0 still failing" in capsys.readouterr().out
    assert ProgramIntent.objects.filter(lms_user_id=23).count() == 1


def test_replay_forgets_an_event_whose_intent_another_door_recorded(refuse_intents_of):
    refuse_intents_of(24)
    record(24)
    refuse_intents_of(None)
    kept = FailedEvent.objects.get()
    services.record_intent(lms_user_id=24, **kept.values)
    result = replay_failed_events()
    assert (result.recorded, result.already_recorded, result.still_failing) == (0, 1, 0)
    assert not FailedEvent.objects.exists()
    assert ProgramIntent.objects.filter(lms_user_id=24).count() == 1


def test_an_event_that_still_fails_stays_and_the_command_says_so(refuse_intents_of, capsys):
    refuse_intents_of(25)
    record(25)
    FailedEvent.objects.update(error="an older error")
    with pytest.raises(CommandError, match="1 failed events still fail"):
        call_command("replay_failed_events")
    assert "0 recorded, 0 already recorded, 1 still failing" in capsys.readouterr().out
    assert "refused by the test" in FailedEvent.objects.get().error


def test_an_unmapped_event_is_not_retried(caplog):
    outcome = record_intent_from_event(
        event=event(),
        intent={
            "lms_user_id": 28,
            "program_uuid": "nope",
            "reason": IntentReason.EARNED_PROGRAM_CERT,
            "certainty": IntentCertainty.CERTAIN_YES,
            "effective_timestamp": TIME,
        },
    )
    assert outcome == EventOutcome.SKIPPED
    assert "trying again" not in caplog.text


def test_sigint_ends_the_process_while_an_event_is_held():
    before = signal.getsignal(signal.SIGINT)
    with retry.interrupts_end_the_process():
        assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is before

    seen = []

    def elsewhere():
        with retry.interrupts_end_the_process():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert seen == [before]  # only the main thread may set handlers: left alone
