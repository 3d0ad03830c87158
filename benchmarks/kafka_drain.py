"""
The Kafka half of ``make bench-engagement``'s consumer step: the same backlog of enrollment
events as the Redis half, produced through edx-event-bus-kafka to a Tansu broker this
benchmark starts (with the tests' schema registry stand-in over HTTP), then one
``consume_course_events enrollment`` child on Kafka, timed from its start until every event
is a course fact.
"""

import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import ROOT, child_env


def drain_kafka(url: str, *, events: int, produce: Callable[[], None], facts: Callable[[], int]) -> dict:
    """Start a broker, ``produce()`` the backlog to it, then time one consumer until ``facts()`` grew by ``events``."""
    from confluent_kafka.admin import AdminClient, NewTopic
    from django.conf import settings
    from django.test.signals import setting_changed

    from pie.tests.support.kafka import KAFKA_CONSUMER, KAFKA_PRODUCER, SchemaRegistry, free_port, start_tansu

    port = free_port()
    broker = start_tansu(listen_port=port, advertised_port=port, log=Path(tempfile.mkdtemp()) / "tansu.log")
    registry = SchemaRegistry()
    prefix = f"pie-bench-{uuid.uuid4().hex[:8]}"
    kafka = {
        "EVENT_BUS_PRODUCER": KAFKA_PRODUCER,
        "EVENT_BUS_CONSUMER": KAFKA_CONSUMER,
        "EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}",
        "EVENT_BUS_KAFKA_SCHEMA_REGISTRY_URL": registry.url,
        "EVENT_BUS_TOPIC_PREFIX": prefix,
    }
    try:
        topic = f"{prefix}-{settings.PIE_EVENT_BUS_ENROLLMENT_TOPIC}"
        admin = AdminClient({"bootstrap.servers": kafka["EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS"]})
        admin.create_topics([NewTopic(topic, num_partitions=3)])[topic].result(timeout=30)
        for name, value in kafka.items():
            setattr(settings, name, value)
            setting_changed.send(sender=None, setting=name, value=value, enter=True)  # the libraries' caches
        before = facts()
        started = time.perf_counter()
        produce()
        produced = time.perf_counter() - started
        consumer = subprocess.Popen(
            [sys.executable, "manage.py", "consume_course_events", "enrollment"],
            cwd=ROOT,
            env=child_env(url, LOG_LEVEL="WARNING", **kafka),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started = time.perf_counter()
        try:
            while facts() < before + events:
                if consumer.poll() is not None:
                    sys.exit(f"the Kafka consumer ended ({consumer.returncode})")
                if time.perf_counter() - started > 1800:
                    sys.exit("the Kafka consumer did not drain the backlog in 30 minutes")
                time.sleep(0.2)
            seconds = time.perf_counter() - started
        finally:
            consumer.terminate()
            consumer.wait(timeout=30)
        if facts() != before + events:
            sys.exit(f"the Kafka consumer stored {facts() - before} facts of {events} events: PIE's result is wrong")
    finally:
        registry.stop()
        broker.terminate()
        broker.wait(timeout=10)
    return {"events": events, "seconds": seconds, "produced_seconds": produced}
