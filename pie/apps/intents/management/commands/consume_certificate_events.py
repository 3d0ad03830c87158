"""
Consume the program-certificate lifecycle topic into PIE: openedx-events' ``consume_events``
with the topic, consumer group and consumer name of the settings.

    python manage.py consume_certificate_events [--consumer-name NAME]

Runs until stopped (SIGTERM or Ctrl-C). It exits with an error when the consumer stops by
itself (the bus unreachable, or not configured), which ``consume_events`` would end with
status 0, so a process supervisor restarts it. docs/events.rst is the operator's guide.
"""

import json

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pie.apps.core.database import bound_database_waits

REDIS_CONSUMER = "edx_event_bus_redis.RedisEventConsumer"


class Command(BaseCommand):
    help = (
        "Consume program-certificate events (PIE_EVENT_BUS_TOPIC) in the consumer group PIE_EVENT_BUS_GROUP, "
        "recording an intent for each certificate awarded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--consumer-name",
            default=settings.PIE_EVENT_BUS_CONSUMER_NAME,
            help="this process's name in the group (Redis; default PIE_EVENT_BUS_CONSUMER_NAME)",
        )

    def handle(self, *args, **options) -> None:
        extra = {}
        if settings.EVENT_BUS_CONSUMER == REDIS_CONSUMER:
            if not settings.EVENT_BUS_REDIS_CONNECTION_URL:
                raise CommandError("EVENT_BUS_REDIS_CONNECTION_URL is not set: there is no Redis to consume from.")
            extra = {
                "consumer_name": options["consumer_name"],
                # Carry on from where the group stopped: without it, each start skips what
                # was produced while no consumer ran.
                "check_backlog": True,
                "claim_msgs_older_than": settings.PIE_EVENT_BUS_CLAIM_PENDING_AFTER_SECONDS * 1000,
            }
        # Before any connection opens: a database that stops answering is an outage the
        # consumer waits out (events.retry), not a read that hangs for good.
        bound_database_waits()
        call_command(
            "consume_events",
            "--topic",
            settings.PIE_EVENT_BUS_TOPIC,
            "--group_id",
            settings.PIE_EVENT_BUS_GROUP,
            "--extra",
            json.dumps(extra),
        )
        raise CommandError("The event consumer stopped: its reason is logged above.")
