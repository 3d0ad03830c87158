"""
Produce one PROGRAM_CERTIFICATE_AWARDED event to the event bus, as the credentials service
would, so a person can watch ``make consume-events`` record its intent.

    python manage.py produce_demo_certificate_event [--lms-user-id 7] [--program-uuid UUID]
"""

import uuid

from django.core.management.base import BaseCommand, CommandError, CommandParser
from openedx_events.learning.signals import PROGRAM_CERTIFICATE_AWARDED

from pie.apps.bus.producing import ProducerError
from pie.apps.intents.producing import send_program_certificate_event

DEMO_PROGRAM_UUID = "6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e"


class Command(BaseCommand):
    help = "Produce one PROGRAM_CERTIFICATE_AWARDED event (now) to the configured event bus."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lms-user-id", type=int, default=7, help="the learner's LMS user id (default 7)")
        parser.add_argument(
            "--program-uuid", type=uuid.UUID, default=DEMO_PROGRAM_UUID, help=f"default {DEMO_PROGRAM_UUID}"
        )

    def handle(self, *args, **options) -> None:
        try:
            metadata = send_program_certificate_event(
                signal=PROGRAM_CERTIFICATE_AWARDED,
                lms_user_id=options["lms_user_id"],
                program_uuid=options["program_uuid"],
            )
        except ProducerError as error:
            raise CommandError(f"The event was not sent: {error}") from error
        self.stdout.write(
            f"Sent {metadata.event_type} {metadata.id}: lms_user_id={options['lms_user_id']} "
            f"program_uuid={options['program_uuid']} time={metadata.time.isoformat()}"
        )
