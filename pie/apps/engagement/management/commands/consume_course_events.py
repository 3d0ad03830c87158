"""
Consume one of the LMS's course topics into PIE's course facts.

    python manage.py consume_course_events {enrollment,unenrollment,passing} [--consumer-name NAME]

``enrollment``: ``PIE_EVENT_BUS_ENROLLMENT_TOPIC`` (enrollments created and changed);
``unenrollment``: ``PIE_EVENT_BUS_UNENROLLMENT_TOPIC``; ``passing``:
``PIE_EVENT_BUS_PASSING_TOPIC`` (course passing states). One process per topic, as
``consume_certificate_events`` is for certificates; runs until stopped, and exits with an
error when the consumer stops by itself.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from pie.apps.bus.consuming import add_consumer_name_argument, consume
from pie.apps.engagement.events_to_facts import TOPIC_SETTINGS


class Command(BaseCommand):
    help = "Consume the LMS's enrollment, unenrollment or course-passing topic, keeping each state as a course fact."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(TOPIC_SETTINGS), help="which topic (its setting names it)")
        add_consumer_name_argument(parser)

    def handle(self, *args, kind: str, consumer_name: str, **options) -> None:
        consume(topic=getattr(settings, TOPIC_SETTINGS[kind]), consumer_name=consumer_name)
