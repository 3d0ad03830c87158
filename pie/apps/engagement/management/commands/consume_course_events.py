"""
Consume one of the LMS's course topics into PIE's course facts.

    python manage.py consume_course_events {enrollment,unenrollment,passing} [--consumer-name NAME]

``enrollment``: ``PIE_EVENT_BUS_ENROLLMENT_TOPIC`` (enrollments created and changed);
``unenrollment``: ``PIE_EVENT_BUS_UNENROLLMENT_TOPIC``; ``passing``:
``PIE_EVENT_BUS_PASSING_TOPIC`` (course passing states). One process per topic, as
``consume_certificate_events`` is for certificates; runs until stopped, and exits with an
error when the consumer stops by itself. A consumer of enrollments or passing states that
starts with an empty catalog logs a warning: its rules record nothing until ``copy_catalog``
has run.
"""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from pie.apps.bus.consuming import add_consumer_name_argument, check_bus, consume
from pie.apps.catalog.api import catalog_is_empty
from pie.apps.engagement.events_to_facts import TOPIC_SETTINGS

log = logging.getLogger(__name__)
# The topics whose facts the catalog's programs turn into intents.
NEEDS_CATALOG = ("enrollment", "passing")


class Command(BaseCommand):
    help = "Consume the LMS's enrollment, unenrollment or course-passing topic, keeping each state as a course fact."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(TOPIC_SETTINGS), help="which topic (its setting names it)")
        add_consumer_name_argument(parser)

    def handle(self, *args, kind: str, consumer_name: str, **options) -> None:
        check_bus()  # a bus that does not answer is the one line, before any warning
        if kind in NEEDS_CATALOG and catalog_is_empty():
            log.warning(
                "The program catalog is empty: the %s events read record no intent until "
                "`python manage.py copy_catalog` has run (docs/catalog.rst).",
                kind,
            )
        consume(topic=getattr(settings, TOPIC_SETTINGS[kind]), consumer_name=consumer_name)
