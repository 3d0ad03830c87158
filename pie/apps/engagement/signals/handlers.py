"""
The engagement app's receivers: each maps an event to one call (``events_to_facts``, ``services``).

The enrollment events come from the LMS on ``PIE_EVENT_BUS_ENROLLMENT_TOPIC`` (created,
changed), ``PIE_EVENT_BUS_UNENROLLMENT_TOPIC`` (unenrollment completed), and the passing
state on ``PIE_EVENT_BUS_PASSING_TOPIC`` (docs/events.rst). The state's time is the event's
``metadata.time``: ``creation_date`` is when the enrollment row was first made, not when
the learner (re-)enrolled.
"""

from django.dispatch import receiver
from openedx_events.learning.signals import (
    COURSE_ENROLLMENT_CHANGED,
    COURSE_ENROLLMENT_CREATED,
    COURSE_PASSING_STATUS_UPDATED,
    COURSE_UNENROLLMENT_COMPLETED,
)

from pie.apps.bus.recording import bus_event
from pie.apps.catalog.signals import catalog_changed
from pie.apps.core.signals import learner_retired
from pie.apps.engagement import events_to_facts, services
from pie.apps.engagement.models import FactKind


def _learner_and_run(data) -> tuple:
    user, course = getattr(data, "user", None), getattr(data, "course", None)
    course_key = getattr(course, "course_key", None)
    return getattr(user, "id", None), None if course_key is None else str(course_key)


@receiver(COURSE_ENROLLMENT_CREATED, dispatch_uid="pie.engagement.enrollment_created")
@receiver(COURSE_ENROLLMENT_CHANGED, dispatch_uid="pie.engagement.enrollment_changed")
def record_enrollment(sender, enrollment, metadata, **kwargs) -> None:
    """An enrollment created or changed: its state (active or not, its mode) as of the event."""
    _record_enrollment(enrollment, metadata, active=bool(getattr(enrollment, "is_active", False)))


@receiver(COURSE_UNENROLLMENT_COMPLETED, dispatch_uid="pie.engagement.unenrollment_completed")
def record_unenrollment(sender, enrollment, metadata, **kwargs) -> None:
    """An unenrollment: the enrollment is inactive as of the event."""
    _record_enrollment(enrollment, metadata, active=False)


def _record_enrollment(enrollment, metadata, *, active: bool) -> None:
    lms_user_id, run_key = _learner_and_run(enrollment)
    events_to_facts.record_fact_from_event(
        event=bus_event(metadata),
        kind=FactKind.ENROLLMENT,
        lms_user_id=lms_user_id,
        run_key=run_key,
        active=active,
        mode=str(getattr(enrollment, "mode", "") or "")[:100],
    )


@receiver(COURSE_PASSING_STATUS_UPDATED, dispatch_uid="pie.engagement.passing_status_updated")
def record_passing_status(sender, course_passing_status, metadata, **kwargs) -> None:
    """The learner passes a run, or no longer does, as of the event."""
    lms_user_id, run_key = _learner_and_run(course_passing_status)
    events_to_facts.record_fact_from_event(
        event=bus_event(metadata),
        kind=FactKind.PASSING,
        lms_user_id=lms_user_id,
        run_key=run_key,
        active=bool(getattr(course_passing_status, "is_passing", False)),
    )


@receiver(catalog_changed, dispatch_uid="pie.engagement.reevaluate_programs")
def reevaluate_changed_programs(sender, program_uuids: list, copied_at, **kwargs) -> None:
    """A catalog copy added or changed programs: their learners are re-evaluated once it commits."""
    services.queue_reevaluation(program_uuids, copied_at=copied_at)


@receiver(learner_retired, dispatch_uid="pie.engagement.forget_learner")
def forget_retired_learner(sender, lms_user_id: int, **kwargs) -> None:
    services.forget_learner(lms_user_id)
