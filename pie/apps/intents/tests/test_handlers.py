"""
The receivers, with no bus: the openedx-events signals sent directly, as the consumer sends
them, with real ProgramCertificateData.
"""

import logging
from datetime import UTC, datetime

import pytest
from openedx_events.learning.data import UserData, UserPersonalData
from openedx_events.learning.signals import PROGRAM_CERTIFICATE_AWARDED, PROGRAM_CERTIFICATE_REVOKED

from pie.apps.bus.constants import EventOutcome
from pie.apps.bus.models import EventHandlingStatus, FailedEvent
from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.selectors import most_recent_and_certain
from pie.apps.intents.signals import handlers
from pie.apps.intents.tests.certificates import PROGRAM, TIME, certificate, send

pytestmark = pytest.mark.django_db


def connected(signal) -> list:
    return [entry[1]() for entry in signal.receivers]  # (key, weak reference, is_async)


def test_both_receivers_are_connected_by_the_app():
    assert handlers.record_program_certificate_awarded in connected(PROGRAM_CERTIFICATE_AWARDED)
    assert handlers.note_program_certificate_revoked in connected(PROGRAM_CERTIFICATE_REVOKED)


def test_an_awarded_certificate_maps_to_an_earned_certain_intent_at_the_event_time():
    send(PROGRAM_CERTIFICATE_AWARDED, certificate(lms_user_id=7))

    (intent,) = most_recent_and_certain(lms_user_id=7)
    assert str(intent.program_uuid) == PROGRAM
    assert intent.reason == IntentReason.EARNED_PROGRAM_CERT
    assert intent.certainty == IntentCertainty.CERTAIN_YES
    assert intent.effective_timestamp == TIME
    status = EventHandlingStatus.objects.get(event_type=PROGRAM_CERTIFICATE_AWARDED.event_type)
    assert (status.handled_count, status.last_outcome, status.last_event_time) == (1, EventOutcome.RECORDED, TIME)


def test_an_inactive_learner_s_certificate_is_recorded_too():
    inactive = UserData(id=8, is_active=False, pii=UserPersonalData(username="l", email="l@example.com"))
    send(PROGRAM_CERTIFICATE_AWARDED, certificate(user=inactive))
    assert ProgramIntent.objects.filter(lms_user_id=8).count() == 1


def test_the_same_certificate_awarded_again_leaves_one_intent(django_assert_max_num_queries):
    send(PROGRAM_CERTIFICATE_AWARDED, certificate(lms_user_id=9))
    # The insert the unique constraint refuses, in its savepoint; the read of the intent
    # already recorded; the status's update.
    with django_assert_max_num_queries(6):
        send(PROGRAM_CERTIFICATE_AWARDED, certificate(lms_user_id=9))
    assert ProgramIntent.objects.filter(lms_user_id=9).count() == 1
    status = EventHandlingStatus.objects.get(event_type=PROGRAM_CERTIFICATE_AWARDED.event_type)
    assert (status.handled_count, status.last_outcome) == (2, EventOutcome.DUPLICATE)


@pytest.mark.parametrize(
    "program_certificate",
    [
        pytest.param(certificate(user=None), id="no user"),
        pytest.param(certificate(user=UserData(id=None, is_active=True, pii=None)), id="no user id"),
        pytest.param(certificate(lms_user_id=0), id="user id 0"),
        pytest.param(certificate(lms_user_id=2**31), id="user id too large"),
        pytest.param(certificate(lms_user_id="seven"), id="user id not a number"),
        pytest.param(certificate(program_uuid="not-a-uuid"), id="malformed uuid"),
        pytest.param(certificate(program_uuid=None), id="no uuid"),
        pytest.param(certificate(program=None), id="no program"),
        pytest.param(certificate(program=object()), id="a program of unknown shape"),
    ],
)
@pytest.mark.parametrize("debug", [False, True], ids=["DEBUG off", "DEBUG on"])
def test_an_event_that_does_not_map_is_logged_and_skipped(program_certificate, debug, settings, caplog):
    # With DEBUG on, openedx-events lets a receiver's exception propagate: none may.
    settings.DEBUG = debug
    with caplog.at_level(logging.WARNING, logger="pie.apps.bus.recording"):
        send(PROGRAM_CERTIFICATE_AWARDED, program_certificate)
    assert not ProgramIntent.objects.exists()
    assert not FailedEvent.objects.exists()
    assert "which maps to no intent" in caplog.text
    status = EventHandlingStatus.objects.get(event_type=PROGRAM_CERTIFICATE_AWARDED.event_type)
    assert status.last_outcome == EventOutcome.SKIPPED


def test_an_event_time_in_the_future_is_skipped():
    send(PROGRAM_CERTIFICATE_AWARDED, certificate(), time=datetime(2999, 1, 1, tzinfo=UTC))
    assert not ProgramIntent.objects.exists()


def test_a_revoked_certificate_records_nothing_and_is_counted(caplog):
    send(PROGRAM_CERTIFICATE_AWARDED, certificate(lms_user_id=10))
    with caplog.at_level(logging.INFO, logger="pie.apps.bus.recording"):
        send(PROGRAM_CERTIFICATE_REVOKED, certificate(lms_user_id=10, status="revoked"), time=datetime.now(UTC))

    (intent,) = most_recent_and_certain(lms_user_id=10)
    assert intent.certainty == IntentCertainty.CERTAIN_YES  # the award still stands
    assert ProgramIntent.objects.count() == 1
    assert "a revoked program certificate records no intent (lms_user_id=10)" in caplog.text
    status = EventHandlingStatus.objects.get(event_type=PROGRAM_CERTIFICATE_REVOKED.event_type)
    assert (status.handled_count, status.last_outcome) == (1, EventOutcome.IGNORED)
