"""
Consume the program-certificate lifecycle topic into PIE: openedx-events' ``consume_events``
with the topic, consumer group and consumer name of the settings.

    python manage.py consume_certificate_events [--consumer-name NAME]

Runs until stopped (SIGTERM or Ctrl-C). It exits with an error when the consumer stops by
itself (the bus unreachable, or not configured), which ``consume_events`` would end with
status 0, so a process supervisor restarts it. docs/events.rst is the operator's guide.
"""

from django.core.management.base import BaseCommand, CommandParser

from pie.apps.bus.consuming import add_consumer_name_argument, consume
from pie.apps.intents.events_to_intents import CERTIFICATE_CONSUMER


class Command(BaseCommand):
    help = (
        "Consume program-certificate events (PIE_EVENT_BUS_CERTIFICATE_TOPIC) in the consumer group "
        "PIE_EVENT_BUS_GROUP, recording an intent for each certificate awarded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_consumer_name_argument(parser)

    def handle(self, *args, consumer_name: str, **options) -> None:
        consume(topic=CERTIFICATE_CONSUMER.topic, consumer_name=consumer_name)
