"""Enrollment, unenrollment and passing events become course facts, then intents (the receivers, in process)."""

import io
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import (
    CourseData,
    CourseEnrollmentData,
    CoursePassingStatusData,
    UserData,
    UserPersonalData,
)
from openedx_events.learning.signals import (
    COURSE_ENROLLMENT_CHANGED,
    COURSE_ENROLLMENT_CREATED,
    COURSE_PASSING_STATUS_UPDATED,
    COURSE_UNENROLLMENT_COMPLETED,
)

from pie.apps.bus.constants import EventOutcome
from pie.apps.bus.models import EventHandlingStatus, FailedEvent
from pie.apps.bus.recording import replay_failed_events
from pie.apps.catalog.api import ListedProgram, replace_catalog
from pie.apps.engagement.models import CourseFact
from pie.apps.intents.models import ProgramIntent

PROGRAM = uuid.UUID(int=7, version=4)
A, B = "course-v1:edX+A+1T2026", "course-v1:edX+B+1T2026"
T0 = datetime(2026, 4, 1, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def program(db):
    replace_catalog(
        [
            ListedProgram(
                uuid=PROGRAM,
                title="P",
                status="active",
                courses={"edX+A": frozenset({A}), "edX+B": frozenset({B})},
            )
        ],
        delete=False,
        copied_at=T0,
    )


def user(lms_user_id) -> UserData:
    return UserData(id=lms_user_id, is_active=True, pii=UserPersonalData(username="l", email="l@example.com", name="L"))


def course(run: str) -> CourseData:
    return CourseData(course_key=CourseKey.from_string(run), display_name=run)


def enrollment(lms_user_id, run: str, *, active: bool = True, mode: str = "audit") -> CourseEnrollmentData:
    # creation_date is the enrollment row's first creation: PIE reads the event's time instead.
    return CourseEnrollmentData(
        user=user(lms_user_id), course=course(run), mode=mode, is_active=active, creation_date=T0 - timedelta(days=900)
    )


def intents(lms_user_id) -> list[tuple]:
    return sorted(
        ProgramIntent.objects.filter(lms_user_id=lms_user_id).values_list("reason", "certainty", "effective_timestamp")
    )


def test_the_lms_pair_for_each_enrollment_makes_one_maybe_at_the_events_time():
    for minute, run in ((1, A), (2, B)):
        for signal in (COURSE_ENROLLMENT_CHANGED, COURSE_ENROLLMENT_CREATED):
            signal.send_event(time=T0 + timedelta(minutes=minute), enrollment=enrollment(8, run))
    assert intents(8) == [("ENROLLED_ALL_COURSES", "MAYBE", T0 + timedelta(minutes=2))]
    assert CourseFact.objects.filter(lms_user_id=8).count() == 2


def test_an_unenrollment_then_a_new_enrollment_records_again():
    COURSE_ENROLLMENT_CREATED.send_event(time=T0, enrollment=enrollment(9, A))
    COURSE_ENROLLMENT_CREATED.send_event(time=T0 + timedelta(minutes=1), enrollment=enrollment(9, B))
    COURSE_UNENROLLMENT_COMPLETED.send_event(time=T0 + timedelta(minutes=2), enrollment=enrollment(9, B))
    COURSE_ENROLLMENT_CHANGED.send_event(time=T0 + timedelta(minutes=3), enrollment=enrollment(9, B))
    assert [row[2] for row in intents(9)] == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)]


def test_passing_every_course_makes_a_certain_yes():
    for minute, run in ((5, A), (6, B)):
        COURSE_PASSING_STATUS_UPDATED.send_event(
            time=T0 + timedelta(minutes=minute),
            course_passing_status=CoursePassingStatusData(is_passing=True, course=course(run), user=user(10)),
        )
    assert intents(10) == [("ALL_COURSES_COMPLETE", "CERTAIN_YES", T0 + timedelta(minutes=6))]


@pytest.mark.parametrize("lms_user_id", [None, -3, "x"])
def test_an_event_without_a_learner_pie_can_read_is_skipped(lms_user_id, caplog):
    COURSE_ENROLLMENT_CREATED.send_event(time=T0, enrollment=enrollment(lms_user_id, A))
    assert not CourseFact.objects.exists()
    assert not FailedEvent.objects.exists()
    assert "Skipped event" in caplog.text


@pytest.mark.parametrize("run", ["ccx-v1:edX+A+1T2026+ccx@3", "library-v1:edX+A"])
def test_an_event_of_a_run_that_cannot_count_is_skipped(run, caplog):
    # The run-key rule of every door (catalog.api.is_countable_run_key): refused, not kept.
    COURSE_ENROLLMENT_CREATED.send_event(time=T0, enrollment=enrollment(12, run))
    assert not CourseFact.objects.exists()
    assert not FailedEvent.objects.exists()
    assert "Skipped event" in caplog.text


def test_an_event_of_a_deprecated_slash_run_key_counts():
    COURSE_ENROLLMENT_CREATED.send_event(time=T0, enrollment=enrollment(13, A))
    COURSE_ENROLLMENT_CREATED.send_event(time=T0 + timedelta(minutes=1), enrollment=enrollment(13, "edX/B/2014_T1"))
    assert intents(13) == [("ENROLLED_ALL_COURSES", "MAYBE", T0 + timedelta(minutes=1))]


@pytest.mark.django_db(transaction=True)  # the refusal is a trigger: DDL, which MySQL commits at once
def test_a_fact_whose_write_keeps_failing_is_kept_then_replayed(refuse_intents_of, settings):
    settings.PIE_EVENT_WRITE_ATTEMPTS = 2
    settings.PIE_EVENT_RETRY_INITIAL_DELAY_SECONDS = 0.01
    COURSE_ENROLLMENT_CREATED.send_event(time=T0, enrollment=enrollment(11, A))
    refuse_intents_of(11)  # the fact that completes the program cannot record its intent
    COURSE_ENROLLMENT_CREATED.send_event(time=T0 + timedelta(minutes=1), enrollment=enrollment(11, B))
    kept = FailedEvent.objects.get()
    assert (kept.kind, kept.lms_user_id, kept.values["run_key"]) == ("course_fact", 11, B)
    assert CourseFact.objects.filter(lms_user_id=11).count() == 1  # rolled back with its intent
    refuse_intents_of(None)
    result = replay_failed_events()
    assert result.recorded == 1
    assert intents(11) == [("ENROLLED_ALL_COURSES", "MAYBE", T0 + timedelta(minutes=1))]
    assert not FailedEvent.objects.exists()


def test_an_event_a_little_ahead_is_kept_at_once_and_replayed_once_due(settings, caplog):
    # No skew: an event half a second ahead is not due yet.
    settings.PIE_INTENT_MAX_CLOCK_SKEW_SECONDS = 0
    COURSE_ENROLLMENT_CREATED.send_event(time=T0, enrollment=enrollment(14, A))
    ahead = datetime.now(UTC) + timedelta(milliseconds=500)
    COURSE_ENROLLMENT_CREATED.send_event(time=ahead, enrollment=enrollment(14, B))
    kept = FailedEvent.objects.get()
    assert (kept.kind, kept.lms_user_id, kept.attempts) == ("course_fact", 14, 0)  # kept at once, no retries
    assert EventHandlingStatus.objects.get(event_type=kept.event_type).last_outcome == EventOutcome.KEPT
    assert "not due" in caplog.text
    assert "trying again" not in caplog.text
    assert list(CourseFact.objects.filter(lms_user_id=14).values_list("run_key", flat=True)) == [A]
    assert intents(14) == []
    out = io.StringIO()
    call_command("replay_failed_events", stdout=out)  # exits 0: waiting is not failing
    assert "0 recorded, 0 already recorded, 0 still failing, 1 not due yet" in out.getvalue()
    assert FailedEvent.objects.exists()
    time.sleep(max(0.0, (ahead - datetime.now(UTC)).total_seconds()) + 0.05)
    assert replay_failed_events().recorded == 1
    assert intents(14) == [("ENROLLED_ALL_COURSES", "MAYBE", ahead)]
    assert not FailedEvent.objects.exists()


def test_an_event_a_little_ahead_does_not_poison_its_learners_next_event():
    # Kept as a fact, a pass an hour ahead made the pass that completes the program
    # complete it in the future: its intent was refused, and the event lost with it.
    for when, run in ((datetime.now(UTC) + timedelta(hours=1), A), (T0, B)):
        COURSE_PASSING_STATUS_UPDATED.send_event(
            time=when, course_passing_status=CoursePassingStatusData(is_passing=True, course=course(run), user=user(15))
        )
    assert FailedEvent.objects.get().values["run_key"] == A
    assert list(CourseFact.objects.filter(lms_user_id=15).values_list("run_key", flat=True)) == [B]
    assert intents(15) == []


@pytest.mark.parametrize("when", [datetime(9999, 12, 31, tzinfo=UTC), "two days ahead"])
def test_an_event_dated_beyond_a_day_ahead_is_refused(when, caplog):
    if when == "two days ahead":
        when = datetime.now(UTC) + timedelta(days=2)
    COURSE_PASSING_STATUS_UPDATED.send_event(
        time=when, course_passing_status=CoursePassingStatusData(is_passing=True, course=course(A), user=user(16))
    )
    assert not CourseFact.objects.exists()
    assert not FailedEvent.objects.exists()
    assert EventHandlingStatus.objects.get().last_outcome == EventOutcome.SKIPPED
    assert "Skipped event" in caplog.text
    assert "future" in caplog.text


def test_how_far_ahead_an_event_is_kept_is_a_setting(settings):
    settings.PIE_FACT_MAX_FUTURE_SECONDS = 600
    COURSE_ENROLLMENT_CREATED.send_event(time=datetime.now(UTC) + timedelta(hours=1), enrollment=enrollment(17, A))
    assert not FailedEvent.objects.exists()
    assert EventHandlingStatus.objects.get().last_outcome == EventOutcome.SKIPPED
