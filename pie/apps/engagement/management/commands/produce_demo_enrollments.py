"""
Put a small demo program into the local catalog and produce the LMS's events that enroll a
learner in each of its courses, so a person can watch ``make consume-events`` record the
``ENROLLED_ALL_COURSES`` intent (no course-discovery needed).

    python manage.py produce_demo_enrollments [--lms-user-id 7]
"""

import uuid

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from openedx_events.learning.signals import COURSE_ENROLLMENT_CHANGED, COURSE_ENROLLMENT_CREATED

from pie.apps.bus.producing import ProducerError
from pie.apps.catalog.api import ListedProgram, replace_catalog
from pie.apps.engagement.producing import send_enrollment_event

DEMO_PROGRAM = ListedProgram(
    uuid=uuid.UUID("3f8b6b3e-0d7a-4c59-9f4e-6f1f7d2a9c11"),
    title="Demo program: two courses",
    status="active",
    courses={
        "edX+DemoX": frozenset({"course-v1:edX+DemoX+Demo_Course"}),
        "edX+DemoY": frozenset({"course-v1:edX+DemoY+2026"}),
    },
)


class Command(BaseCommand):
    help = "Add the demo program to the catalog, and produce the enrollment events that cover it for a learner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lms-user-id", type=int, default=7, help="the learner's LMS user id (default 7)")

    def handle(self, *args, lms_user_id: int, **options) -> None:
        # Only the demo program is written: the rest of the catalog stays as it is.
        replace_catalog([DEMO_PROGRAM], delete=False, copied_at=timezone.now())
        self.stdout.write(
            f"Catalog: {DEMO_PROGRAM.title} ({DEMO_PROGRAM.uuid}), courses {sorted(DEMO_PROGRAM.courses)}"
        )
        try:
            for runs in DEMO_PROGRAM.courses.values():
                (run_key,) = runs
                # As the LMS sends an enrollment: CHANGED, then CREATED, at one time.
                time = timezone.now()
                for signal in (COURSE_ENROLLMENT_CHANGED, COURSE_ENROLLMENT_CREATED):
                    metadata = send_enrollment_event(lms_user_id=lms_user_id, run_key=run_key, time=time, signal=signal)
                    self.stdout.write(f"Sent {metadata.event_type} {metadata.id}: lms_user_id={lms_user_id} {run_key}")
        except ProducerError as error:
            raise CommandError(f"The events were not sent: {error}") from error
        expected = f"an ENROLLED_ALL_COURSES / MAYBE intent for program {DEMO_PROGRAM.uuid}"
        self.stdout.write(f"Expect {expected}, effective {time.isoformat()}")
