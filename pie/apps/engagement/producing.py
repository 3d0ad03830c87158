"""Producing the LMS's course events, for ``make demo-enrollment`` and the tests: what the LMS would send."""

from datetime import datetime

from django.conf import settings
from opaque_keys.edx.keys import CourseKey
from openedx_events.learning.data import CourseData, CourseEnrollmentData
from openedx_events.learning.signals import COURSE_ENROLLMENT_CREATED, COURSE_UNENROLLMENT_COMPLETED

from pie.apps.bus.producing import demo_user, send_to_bus


def send_enrollment_event(*, lms_user_id, run_key: str, time: datetime | None = None, signal=COURSE_ENROLLMENT_CREATED):
    """
    Send an enrollment event (verified) to ``PIE_EVENT_BUS_ENROLLMENT_TOPIC``, active; or, with
    ``signal`` ``COURSE_UNENROLLMENT_COMPLETED``, inactive to ``PIE_EVENT_BUS_UNENROLLMENT_TOPIC``,
    as the LMS does. Return its metadata.
    """
    metadata = signal.generate_signal_metadata(time=time)
    leaving = signal is COURSE_UNENROLLMENT_COMPLETED
    enrollment = CourseEnrollmentData(
        user=demo_user(lms_user_id),
        course=CourseData(course_key=CourseKey.from_string(run_key), display_name=run_key),
        mode="verified",
        is_active=not leaving,
        creation_date=metadata.time,
    )
    send_to_bus(
        signal=signal,
        topic=settings.PIE_EVENT_BUS_UNENROLLMENT_TOPIC if leaving else settings.PIE_EVENT_BUS_ENROLLMENT_TOPIC,
        event_key_field="enrollment.course.course_key",
        event_data={"enrollment": enrollment},
        metadata=metadata,
    )
    return metadata
