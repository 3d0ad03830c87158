"""
Consume the program-certificate lifecycle topic into PIE: openedx-events' ``consume_events``
with the topic, consumer group and consumer name of the settings.

    python manage.py consume_certificate_events [--consumer-name NAME]

Runs until stopped (SIGTERM or Ctrl-C). It exits with an error when the consumer stops by
itself (the bus unreachable, or not configured), which ``consume_events`` would end with
status 0, so a process supervisor restarts it. docs/events.rst is the operator's guide.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from pie.apps.intents.events.consuming import consume


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
        consume(topic=settings.PIE_EVENT_BUS_TOPIC, consumer_name=options["consumer_name"])
