"""
Enrollment events end to end: produced to the real Redis, read by the real consumer
(``consume_course_events enrollment``) as a child process, the intent found by the selector.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from openedx_events.learning.signals import COURSE_UNENROLLMENT_COMPLETED

from pie.apps.catalog.api import ListedProgram, replace_catalog
from pie.apps.engagement.management.commands.produce_demo_enrollments import DEMO_PROGRAM
from pie.apps.engagement.models import CourseFact
from pie.apps.engagement.producing import send_enrollment_event
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.selectors import most_recent_and_certain
from pie.tests.support.event_bus import BOTH_BUSES
from pie.tests.support.processes import ConsumerProcess, wait_until

PROGRAM = uuid.UUID(int=9, version=4)
A, B = "course-v1:edX+A+1T2026", "course-v1:edX+B+1T2026"


def course_consumer(kind: str, *, bus, shared_database) -> ConsumerProcess:
    """``consume_course_events KIND`` as a child process on the test's database and bus, consuming."""
    process = ConsumerProcess(
        database_url=shared_database.url,
        topic_prefix=bus.prefix,
        redis_url=bus.redis_url,
        name=f"pie-test-{kind}",
        command=("consume_course_events", kind),
        **bus.env,
    )
    try:
        process.wait_until_consuming()
    except BaseException:
        process.stop()
        raise
    return process


@pytest.fixture
def consumer(bus, shared_database):
    process = course_consumer("enrollment", bus=bus, shared_database=shared_database)
    yield process
    process.stop()


@BOTH_BUSES
def test_a_completion_is_found_when_the_unenrollment_topic_is_read_first(bus, consumer, shared_database):
    """
    The documented set-up (one consumer per topic): the short unenrollment topic is read
    before the enrollments that came earlier. The facts still show B held from t2 to t3.
    """
    leaving = course_consumer("unenrollment", bus=bus, shared_database=shared_database)
    try:
        replace_catalog(
            [
                ListedProgram(
                    uuid=PROGRAM, title="P", status="active", courses={"edX+A": frozenset({A}), "edX+B": frozenset({B})}
                )
            ],
            delete=False,
            copied_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        t1 = datetime(2026, 5, 1, 8, tzinfo=UTC)
        t2, t3 = t1 + timedelta(minutes=5), t1 + timedelta(minutes=9)
        for learner in (31, 32, 33):
            send_enrollment_event(lms_user_id=learner, run_key=B, time=t3, signal=COURSE_UNENROLLMENT_COMPLETED)
        wait_until(
            lambda: CourseFact.objects.filter(active=False).count() == 3, what="the unenrollments", log=leaving.log
        )
        for learner in (31, 32, 33):
            send_enrollment_event(lms_user_id=learner, run_key=A, time=t1)
            send_enrollment_event(lms_user_id=learner, run_key=B, time=t2)
        for learner in (31, 32, 33):
            found = wait_until(
                lambda learner=learner: ProgramIntent.objects.filter(lms_user_id=learner).first(),
                timeout=15,
                what=f"learner {learner}'s intent",
                log=consumer.log,
            )
            assert (found.reason, found.effective_timestamp) == ("ENROLLED_ALL_COURSES", t2)
    finally:
        leaving.stop()


def test_enrollments_in_every_course_become_a_maybe_through_the_bus(event_bus, consumer):
    replace_catalog(
        [
            ListedProgram(
                uuid=PROGRAM, title="P", status="active", courses={"edX+A": frozenset({A}), "edX+B": frozenset()}
            )
        ],
        delete=False,
        copied_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    first = datetime(2026, 5, 1, 8, tzinfo=UTC)
    send_enrollment_event(lms_user_id=21, run_key=A, time=first)
    # A run of B published after the copy: it counts for B.
    second = send_enrollment_event(lms_user_id=21, run_key=B, time=first + timedelta(minutes=5))

    found = wait_until(
        lambda: most_recent_and_certain(lms_user_id=21, program_uuids=[PROGRAM]),
        timeout=15,
        what="the intent",
        log=consumer.log,
    )
    assert (found[0].reason, found[0].certainty, found[0].effective_timestamp) == (
        "ENROLLED_ALL_COURSES",
        "MAYBE",
        second.time,
    )
    stream = f"{event_bus.prefix}-{settings.PIE_EVENT_BUS_ENROLLMENT_TOPIC}"
    assert event_bus.client.xlen(stream) == 2
    pending = lambda: event_bus.client.xpending(stream, settings.PIE_EVENT_BUS_GROUP)["pending"]  # noqa: E731
    wait_until(lambda: pending() == 0, what="the acknowledgements", log=consumer.log)


@BOTH_BUSES
def test_the_demo_enrollments_make_the_demo_learners_intent(consumer, capsys):
    """What ``make demo-enrollment`` does, with ``make consume-events``' enrollment consumer running."""
    call_command("produce_demo_enrollments", "--lms-user-id", "7")
    expected = capsys.readouterr().out.splitlines()[-1]
    found = wait_until(
        lambda: most_recent_and_certain(lms_user_id=7, program_uuids=[DEMO_PROGRAM.uuid]),
        timeout=15,
        what="the demo intent",
        log=consumer.log,
    )
    assert (found[0].reason, found[0].certainty) == ("ENROLLED_ALL_COURSES", "MAYBE")
    assert expected.endswith(f"effective {found[0].effective_timestamp.isoformat()}")
