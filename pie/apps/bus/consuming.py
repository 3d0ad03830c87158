"""
Running openedx-events' ``consume_events`` for one of PIE's topics, as every consumer
command of PIE does (certificates; enrollments, unenrollments and passing states).
"""

import json
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser

from pie.apps.bus import kafka

REDIS_CONSUMER = "edx_event_bus_redis.RedisEventConsumer"


def consume(*, topic: str, consumer_name: str) -> None:
    """
    Consume ``topic`` until stopped: on Redis in the group ``PIE_EVENT_BUS_GROUP``; on Kafka
    (``EVENT_BUS_CONSUMER`` naming edx-event-bus-kafka's consumer) with PIE's subclass, in a
    group of the topic's own (``bus.kafka``), returning on SIGTERM. Raises ``CommandError``
    when the consumer stops by itself (the bus unreachable, not configured, a topic missing),
    which ``consume_events`` would end with status 0, so that a process supervisor restarts it.
    """
    if settings.EVENT_BUS_CONSUMER == kafka.KAFKA_CONSUMER:
        try:
            kafka.consume(topic=topic)
        except kafka.KafkaStopped as stopped:
            raise CommandError(str(stopped)) from None
        return
    extra = {}
    check_bus()
    if settings.EVENT_BUS_CONSUMER == REDIS_CONSUMER:
        extra = {
            "consumer_name": consumer_name,
            # Carry on from where the group stopped: without it, each start skips what
            # was produced while no consumer ran.
            "check_backlog": True,
            "claim_msgs_older_than": settings.PIE_EVENT_BUS_CLAIM_PENDING_AFTER_SECONDS * 1000,
        }
    call_command(
        "consume_events", "--topic", topic, "--group_id", settings.PIE_EVENT_BUS_GROUP, "--extra", json.dumps(extra)
    )
    raise CommandError("The event consumer stopped: its reason is logged above.")


def check_bus() -> None:
    """``CommandError`` in one line when the Redis bus is not configured or does not answer."""
    if settings.EVENT_BUS_CONSUMER == REDIS_CONSUMER:
        if not settings.EVENT_BUS_REDIS_CONNECTION_URL:
            raise CommandError("EVENT_BUS_REDIS_CONNECTION_URL is not set: there is no Redis to consume from.")
        _redis_answers(settings.EVENT_BUS_REDIS_CONNECTION_URL)


def _redis_answers(url: str) -> None:
    """
    ``CommandError`` in one line when Redis does not answer at ``url``: openedx-events would
    only warn that no consumer is configured. The line names the host and port, never the
    URL's password.
    """
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or 6379}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()
    except redis.RedisError as error:
        raise CommandError(
            f"Redis at {where} (EVENT_BUS_REDIS_CONNECTION_URL) did not answer: {str(error).rstrip('.')}. "
            "Start it, or point EVENT_BUS_REDIS_CONNECTION_URL at one that runs."
        ) from None


def add_consumer_name_argument(parser: CommandParser) -> None:
    """Every consumer command's ``--consumer-name`` (its name in the group; Redis)."""
    parser.add_argument(
        "--consumer-name",
        default=settings.PIE_EVENT_BUS_CONSUMER_NAME,
        help="this process's name in the group (Redis; default PIE_EVENT_BUS_CONSUMER_NAME)",
    )
