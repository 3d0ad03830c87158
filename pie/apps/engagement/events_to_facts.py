"""
Course facts from the event bus: an event's state becomes a course fact, through the bus's
pipeline (``bus.recording``): waits while the database is down, retries, the failed-event
store and its replay. ``KIND`` and ``CONSUMERS`` are what engagement declares to the bus
(``EngagementConfig.ready``): one consumer per LMS topic, ``consume_course_events KIND``.
"""

from datetime import datetime

from pie.apps.bus import recording, registry
from pie.apps.bus.constants import EventOutcome
from pie.apps.catalog.api import is_countable_run_key
from pie.apps.core.lms import parse_lms_user_id
from pie.apps.engagement import services
from pie.apps.engagement.exceptions import InvalidFactError
from pie.apps.engagement.models import FactKind

# consume_course_events' argument -> the setting that names its topic.
TOPIC_SETTINGS = {
    "enrollment": "PIE_EVENT_BUS_ENROLLMENT_TOPIC",
    "unenrollment": "PIE_EVENT_BUS_UNENROLLMENT_TOPIC",
    "passing": "PIE_EVENT_BUS_PASSING_TOPIC",
}


def record_fact_from_event(
    *, event: recording.BusEvent, kind: FactKind, lms_user_id, run_key, active: bool, mode: str = ""
) -> EventOutcome:
    """Keep the course fact an event maps to (its state as of the event's time); return what became of the event."""
    values = {"kind": kind, "run_key": run_key, "active": active, "mode": mode, "time": event.time}
    return recording.record_from_event(
        event=event,
        kind=KIND.name,
        lms_user_id=lms_user_id,
        values=values,
        write=lambda: _write(lms_user_id=lms_user_id, **values),
    )


def replay_course_fact(lms_user_id: int, values: dict) -> bool:
    """What writes a kept course fact again (the ``course_fact`` kind's replay)."""
    return _write(lms_user_id=lms_user_id, **{**values, "time": datetime.fromisoformat(values["time"])})


def _write(*, lms_user_id, kind: str, run_key, active: bool, mode: str, time: datetime) -> bool:
    try:
        learner = parse_lms_user_id(lms_user_id)
    except ValueError:
        raise InvalidFactError({"lms_user_id": "The event names no LMS user id PIE can read."}) from None
    if not is_countable_run_key(run_key):
        raise InvalidFactError({"run_key": "The event names no course run."})
    if kind == FactKind.ENROLLMENT:
        outcome = services.record_enrollment(lms_user_id=learner, run_key=run_key, is_active=active, mode=mode, at=time)
    else:
        outcome = services.record_course_passing(lms_user_id=learner, run_key=run_key, is_passing=active, at=time)
    return outcome.changed


KIND = registry.EventKind(name="course_fact", label="course fact", replay=replay_course_fact)
CONSUMERS = [
    registry.Consumer(topic_setting=setting, command=("consume_course_events", kind))
    for kind, setting in TOPIC_SETTINGS.items()
]
