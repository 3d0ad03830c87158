"""
Consuming from Kafka (ADR 29): edx-event-bus-kafka's consumer, with what PIE adds to it.

The library's ``KafkaEventConsumer`` sets only the bootstrap servers, SASL, the group and
manual commits. PIE's subclass also sets where a new group starts (``auto.offset.reset``,
``PIE_EVENT_BUS_KAFKA_AUTO_OFFSET_RESET``: ``earliest`` by default, so that what was produced
before the group's partitions were assigned is read) and the session timeout
(``PIE_EVENT_BUS_KAFKA_SESSION_TIMEOUT_MS``). ``consume`` checks the topic exists, stops
between events on SIGTERM (closing the consumer, so the group hands its partitions over at
once) and ends with ``KafkaStopped`` whenever the loop ends by itself.
"""

import logging
import signal

from django.conf import settings

log = logging.getLogger(__name__)

# The library's class, as operators name it in EVENT_BUS_CONSUMER; PIE runs its subclass instead.
KAFKA_CONSUMER = "edx_event_bus_kafka.KafkaEventConsumer"
# How long the topic check waits for the broker's metadata.
METADATA_TIMEOUT_SECONDS = 10


class KafkaStopped(Exception):
    """The Kafka consumer could not start, or its loop ended by itself; the message says why."""


def group_of(topic: str) -> str:
    """The consumer group of ``topic`` on Kafka: one per topic, so a restart rebalances only its own."""
    return f"{settings.PIE_EVENT_BUS_GROUP}-{topic}"


def _consumer_class():
    # Imported here: confluent-kafka is installed only where Kafka is used (requirements/kafka.txt).
    from confluent_kafka import Consumer
    from edx_event_bus_kafka import KafkaEventConsumer
    from edx_event_bus_kafka.internal.config import load_common_settings

    class PieKafkaEventConsumer(KafkaEventConsumer):
        """``KafkaEventConsumer`` whose new group starts where PIE says, with PIE's session timeout."""

        def _create_consumer(self):
            config = load_common_settings()
            if config is None:
                raise KafkaStopped("EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS is not set: there is no Kafka to consume from.")
            config.update(
                {
                    "group.id": self.group_id,
                    "enable.auto.commit": False,
                    "auto.offset.reset": settings.PIE_EVENT_BUS_KAFKA_AUTO_OFFSET_RESET,
                    "session.timeout.ms": settings.PIE_EVENT_BUS_KAFKA_SESSION_TIMEOUT_MS,
                }
            )
            return Consumer(config)

    return PieKafkaEventConsumer


def check_topic(full_topic: str) -> None:
    """``KafkaStopped`` unless the broker answers and holds ``full_topic``: PIE creates no topic."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient
    from edx_event_bus_kafka.internal.config import load_common_settings

    config = load_common_settings()
    if config is None:
        raise KafkaStopped("EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS is not set: there is no Kafka to consume from.")
    servers = config["bootstrap.servers"]
    try:
        topics = AdminClient(config).list_topics(timeout=METADATA_TIMEOUT_SECONDS).topics
    except KafkaException as error:
        raise KafkaStopped(
            f"Kafka at {servers} did not answer within {METADATA_TIMEOUT_SECONDS} s ({error})."
        ) from error
    if full_topic not in topics:
        raise KafkaStopped(
            f"The topic {full_topic!r} does not exist on Kafka at {servers}: create it (docs/events.rst, Kafka)."
        )


def consume(*, topic: str) -> None:
    """
    Consume ``topic`` in its group (``group_of``) until SIGTERM, then return; ``KafkaStopped``
    when the topic is missing, the broker does not answer, or the library's loop gives up
    (``EVENT_BUS_KAFKA_CONSUMER_CONSECUTIVE_ERRORS_LIMIT``) or ends by itself.
    """
    from edx_event_bus_kafka.internal.config import get_full_topic
    from openedx_events.tooling import load_all_signals

    check_topic(get_full_topic(topic))
    load_all_signals()
    consumer = _consumer_class()(topic=topic, group_id=group_of(topic))
    stopping = []

    def stop(signum, frame) -> None:
        log.info("SIGTERM: stopping after the event in hand")
        stopping.append(signum)
        consumer._shut_down()  # the library's flag, read between polls

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        consumer.consume_indefinitely()
    except Exception as error:
        raise KafkaStopped(f"The Kafka consumer stopped: {error}") from error
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not stopping:
        raise KafkaStopped("The Kafka consumer stopped: its reason is logged above.")
    log.info("Stopped on SIGTERM; the consumer left its group")
