"""
The parts of edx-event-bus-kafka that PIE's Kafka consumer (``bus.kafka``, ADR 29) relies on,
as PIE was written against them: this fails when an upgrade changes them, before production does.
"""

import hashlib
import inspect
import re

import pytest

consumer = pytest.importorskip("edx_event_bus_kafka.internal.consumer")

# The source of the method PIE's subclass replaces, comments and blank lines aside (6.2.0).
CREATE_CONSUMER = "2f735e2ed6d77dd7e5d1f5bfd8fd9f7355a36fb69a519187a587c00b8ea4c304"


def _code(function) -> str:
    lines = inspect.getsource(function).splitlines()
    return "\n".join(line.strip() for line in lines if line.strip() and not line.strip().startswith("#"))


def test_the_method_pie_replaces_is_the_one_it_was_written_against():
    code = re.sub(r'"""[\s\S]*?"""', "", _code(consumer.KafkaEventConsumer._create_consumer))
    assert hashlib.sha256(code.encode()).hexdigest() == CREATE_CONSUMER, code


def test_the_names_pie_calls_are_there():
    assert callable(consumer.KafkaEventConsumer._shut_down)
    assert callable(consumer.KafkaEventConsumer.consume_indefinitely)
    assert "self._shut_down_loop" in inspect.getsource(consumer.KafkaEventConsumer._consume_indefinitely)
    assert "self.consumer.close()" in inspect.getsource(consumer.KafkaEventConsumer._consume_indefinitely)
