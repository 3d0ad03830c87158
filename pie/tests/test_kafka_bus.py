"""
PIE's consumers on Kafka: a real Kafka-API broker (Tansu), a schema registry over HTTP, each
consumer a child process configured only by the README's Kafka settings, the events produced
by edx-event-bus-kafka's producer in this process (keyed as the services key them).
"""

import os
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CourseData, CoursePassingStatusData
from openedx_events.learning.signals import (
    COURSE_PASSING_STATUS_UPDATED,
    COURSE_UNENROLLMENT_COMPLETED,
    PROGRAM_CERTIFICATE_AWARDED,
)

from pie.apps.bus.producing import demo_user, send_to_bus
from pie.apps.catalog.api import ListedProgram, replace_catalog
from pie.apps.engagement.models import CourseFact
from pie.apps.engagement.producing import send_enrollment_event
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.producing import send_program_certificate_event
from pie.tests.support.kafka import KafkaBus, free_port, start_tansu
from pie.tests.support.processes import ConsumerProcess, TcpProxy, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

A, B = "course-v1:edX+KA+1T2026", "course-v1:edX+KB+1T2026"
WHEN = datetime(2026, 5, 1, 8, tzinfo=UTC)
COMMANDS = {
    "certificate": ("consume_certificate_events",),
    "enrollment": ("consume_course_events", "enrollment"),
    "unenrollment": ("consume_course_events", "unenrollment"),
    "passing": ("consume_course_events", "passing"),
}


def consumer(
    kind: str, bus: KafkaBus, shared_database, *, bootstrap: str | None = None, name: str = "", **env: str
) -> ConsumerProcess:
    return ConsumerProcess(
        database_url=shared_database.url,
        topic_prefix=bus.prefix,
        redis_url="redis://127.0.0.1:1/0",  # unused: the consumers are on Kafka
        name=name or f"pie-test-{kind}",
        command=COMMANDS[kind],
        **bus.consumer_env(bootstrap),
        **env,
    )


def send_passing_event(*, lms_user_id: int, run_key: str, time: datetime) -> None:
    metadata = COURSE_PASSING_STATUS_UPDATED.generate_signal_metadata(time=time)
    status = CoursePassingStatusData(
        is_passing=True,
        course=CourseData(course_key=CourseKey.from_string(run_key)),
        user=demo_user(lms_user_id),
    )
    send_to_bus(
        signal=COURSE_PASSING_STATUS_UPDATED,
        topic=settings.PIE_EVENT_BUS_PASSING_TOPIC,
        event_key_field="course_passing_status.course.course_key",
        event_data={"course_passing_status": status},
        metadata=metadata,
    )


def certificate(lms_user_id: int, program: uuid.UUID | None = None) -> None:
    send_program_certificate_event(
        signal=PROGRAM_CERTIFICATE_AWARDED, lms_user_id=lms_user_id, program_uuid=program or uuid.uuid4(), time=WHEN
    )


SENDERS = {
    "certificate": lambda learner: certificate(learner),
    "enrollment": lambda learner: send_enrollment_event(lms_user_id=learner, run_key=A, time=WHEN),
    "unenrollment": lambda learner: send_enrollment_event(
        lms_user_id=learner, run_key=A, time=WHEN, signal=COURSE_UNENROLLMENT_COMPLETED
    ),
    "passing": lambda learner: send_passing_event(lms_user_id=learner, run_key=A, time=WHEN),
}
STORED = {
    "certificate": lambda learner: ProgramIntent.objects.filter(lms_user_id=learner).count(),
    "enrollment": lambda learner: CourseFact.objects.filter(
        lms_user_id=learner, kind="enrollment", active=True
    ).count(),
    "unenrollment": lambda learner: CourseFact.objects.filter(
        lms_user_id=learner, kind="enrollment", active=False
    ).count(),
    "passing": lambda learner: CourseFact.objects.filter(lms_user_id=learner, kind="passing", active=True).count(),
}


@pytest.mark.parametrize("kind", list(COMMANDS))
def test_each_consumer_of_a_new_group_handles_what_was_produced_right_after_it_started(
    kind, kafka_bus, shared_database
):
    """Produced before the new group's partitions are assigned: read all the same (auto.offset.reset)."""
    process = consumer(kind, kafka_bus, shared_database)
    try:
        for learner in (51, 52, 53):
            SENDERS[kind](learner)
        for learner in (51, 52, 53):
            wait_until(lambda learner=learner: STORED[kind](learner) == 1, what=f"learner {learner}", log=process.log)
    finally:
        process.stop()
    assert process.process.returncode == 0, process.log()  # SIGTERM: a graceful stop
    assert "the consumer left its group" in process.log()


def test_a_consumer_killed_mid_stream_and_restarted_handles_every_event_once(kafka_bus, shared_database):
    learners = range(600, 660)
    for learner in learners:
        certificate(learner)
    first = consumer("certificate", kafka_bus, shared_database)
    wait_until(lambda: ProgramIntent.objects.count() >= 5, what="the first intents", log=first.log)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=10)
    handled = ProgramIntent.objects.count()
    assert handled < len(learners)  # killed mid-stream
    second = consumer("certificate", kafka_bus, shared_database)
    try:
        wait_until(
            lambda: ProgramIntent.objects.count() == len(learners), timeout=60, what="every intent", log=second.log
        )
        certificate(700)  # and it goes on
        wait_until(lambda: STORED["certificate"](700) == 1, what="the next intent", log=second.log)
    finally:
        second.stop()
    assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [*learners, 700]


def test_two_consumers_of_a_group_share_a_topic_and_one_stopping_hands_its_partitions_over(kafka_bus, shared_database):
    ones = [consumer("certificate", kafka_bus, shared_database, name=f"pie-test-{n}") for n in (1, 2)]
    try:
        for process in ones:
            process.wait_until_consuming()
        for learner in range(800, 840):
            certificate(learner, uuid.UUID(int=learner, version=4))  # keyed by program: every partition
        wait_until(lambda: ProgramIntent.objects.count() == 40, what="the first 40", log=ones[1].log)
        ones[0].stop()
        assert ones[0].process.returncode == 0, ones[0].log()
        stopped = time.monotonic()
        for learner in range(840, 860):
            certificate(learner, uuid.UUID(int=learner, version=4))
        wait_until(lambda: ProgramIntent.objects.count() == 60, timeout=60, what="the next 20", log=ones[1].log)
        # Handed over at once (the stopped consumer left its group), not after its session timed out.
        assert time.monotonic() - stopped < settings.PIE_EVENT_BUS_KAFKA_SESSION_TIMEOUT_MS / 1000
    finally:
        for process in ones:
            process.stop()
    assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == list(range(800, 860))


def test_the_broker_cut_and_back(kafka_bus, shared_database, settings, tmp_path):
    """A broker of the test's own, advertised through a proxy the test cuts: the consumer goes on once it is back."""
    listen, proxy = free_port(), TcpProxy(("127.0.0.1", 0))
    proxy.start()
    proxy.target = ("127.0.0.1", listen)
    broker = start_tansu(listen_port=listen, advertised_port=proxy.port, log=tmp_path / "tansu.log")
    try:
        bootstrap = f"127.0.0.1:{proxy.port}"
        settings.EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS = bootstrap
        bus = KafkaBus(broker=kafka_bus.broker, prefix=kafka_bus.prefix, bootstrap=bootstrap)
        bus.create_topics(settings.PIE_EVENT_BUS_CERTIFICATE_TOPIC)
        process = consumer("certificate", bus, shared_database, bootstrap=bootstrap)
        try:
            certificate(901)
            wait_until(lambda: STORED["certificate"](901) == 1, what="the intent before the cut", log=process.log)
            proxy.stop()
            time.sleep(5)
            assert process.running(), process.log()
            proxy.start()
            certificate(902)
            wait_until(lambda: STORED["certificate"](902) == 1, timeout=60, what="the intent after", log=process.log)
        finally:
            process.stop()
    finally:
        proxy.stop()
        broker.terminate()
        broker.wait(timeout=10)


def poison(bus: KafkaBus) -> None:
    """Four messages no consumer can use, produced as raw bytes to the certificate topic."""
    from confluent_kafka import Producer

    topic = bus.full_topic(settings.PIE_EVENT_BUS_CERTIFICATE_TOPIC)
    awarded = [("ce_type", PROGRAM_CERTIFICATE_AWARDED.event_type.encode())]
    producer = Producer({"bootstrap.servers": bus.broker.bootstrap})
    producer.produce(topic, value=b"not avro at all", headers=awarded)  # corrupted bytes
    producer.produce(topic, value=b"\x00\x00\x00\x27\x0f" + b"x" * 20, headers=awarded)  # unknown schema id 9999
    producer.produce(topic, value=b"{}", headers=[("ce_type", b"org.openedx.foreign.thing.happened.v1")])
    producer.produce(topic, value=b"{}")  # no event type at all
    producer.flush(10)


def test_errors_in_a_row_past_the_librarys_limit_end_the_consumer_for_its_supervisor(kafka_bus, shared_database):
    """A broker cut answers no poll (librdkafka reconnects); messages that fail in a row count."""
    poison(kafka_bus)
    process = consumer("certificate", kafka_bus, shared_database, EVENT_BUS_KAFKA_CONSUMER_CONSECUTIVE_ERRORS_LIMIT="3")
    try:
        process.process.wait(timeout=60)
    finally:
        process.stop()
    assert process.process.returncode == 1, process.log()
    assert "The Kafka consumer stopped: Too many consecutive errors, exiting (3 in a row)" in process.log()


def test_poison_messages_are_logged_and_passed_over(kafka_bus, shared_database):
    poison(kafka_bus)
    process = consumer("certificate", kafka_bus, shared_database)
    try:
        certificate(950)
        wait_until(lambda: STORED["certificate"](950) == 1, what="the good event after the poison", log=process.log)
        assert process.running()
    finally:
        process.stop()
    assert ProgramIntent.objects.count() == 1


def test_a_missing_topic_is_one_line_and_a_non_zero_exit(kafka_bus, shared_database):
    bus = KafkaBus(broker=kafka_bus.broker, prefix=f"{kafka_bus.prefix}-none")
    process = consumer("certificate", bus, shared_database)
    process.process.wait(timeout=60)
    assert process.process.returncode != 0
    assert "Traceback" not in process.log()
    topic = bus.full_topic(settings.PIE_EVENT_BUS_CERTIFICATE_TOPIC)
    assert f"The topic '{topic}' does not exist on Kafka at {bus.broker.bootstrap}" in process.log()


def test_a_learners_enrollments_over_partitions_and_topics_out_of_order_make_the_completion(kafka_bus, shared_database):
    """Keyed by course, A and B go to different partitions; the unenrollment topic is read first."""
    replace_catalog(
        [
            ListedProgram(
                uuid=uuid.UUID(int=31, version=4),
                title="P",
                status="active",
                courses={"edX+KA": frozenset({A}), "edX+KB": frozenset({B})},
            )
        ],
        delete=False,
        copied_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    t1, t2, t3 = WHEN, WHEN + timedelta(minutes=5), WHEN + timedelta(minutes=9)
    leaving = consumer("unenrollment", kafka_bus, shared_database)
    try:
        for learner in (61, 62):
            send_enrollment_event(lms_user_id=learner, run_key=B, time=t3, signal=COURSE_UNENROLLMENT_COMPLETED)
        wait_until(
            lambda: CourseFact.objects.filter(active=False).count() == 2, what="the unenrollments", log=leaving.log
        )
        for learner in (61, 62):
            send_enrollment_event(lms_user_id=learner, run_key=B, time=t2)
            send_enrollment_event(lms_user_id=learner, run_key=A, time=t1)
        joining = consumer("enrollment", kafka_bus, shared_database)
        try:
            for learner in (61, 62):
                found = wait_until(
                    lambda learner=learner: ProgramIntent.objects.filter(lms_user_id=learner).first(),
                    what=f"learner {learner}'s intent",
                    log=joining.log,
                )
                assert (found.reason, found.effective_timestamp) == ("ENROLLED_ALL_COURSES", t2)
        finally:
            joining.stop()
    finally:
        leaving.stop()


def test_the_consumer_runs_on_kafka_with_the_readme_settings_alone(kafka_bus, shared_database, tmp_path):
    """``make consume-events``' command line, with the README's environment: no PIE-only Kafka setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIE_EVENT_BUS_KAFKA", "PYTHONPATH"))}
    env.update(
        kafka_bus.consumer_env(),
        DATABASE_URL=shared_database.url,
        EVENT_BUS_TOPIC_PREFIX=kafka_bus.prefix,
        DJANGO_SETTINGS_MODULE="pie.settings.local",
    )
    out = (tmp_path / "out.log").open("w")
    process = subprocess.Popen(
        [os.sys.executable, "manage.py", "consume_certificate_events"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        certificate(990)
        wait_until(lambda: STORED["certificate"](990) == 1, what="the intent", log=(tmp_path / "out.log").read_text)
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
