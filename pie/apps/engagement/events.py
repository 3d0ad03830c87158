"""
Course facts from the event bus: an event's state becomes a course fact, through the same
pipeline as the certificate events (``intents.events.recording``): waits while the database
is down, retries, the failed-event store and its replay.
"""

from datetime import datetime

from pie.apps.catalog.api import is_countable_run_key
from pie.apps.core.lms import parse_lms_user_id
from pie.apps.engagement import services
from pie.apps.engagement.models import FactKind
from pie.apps.intents.constants import EventOutcome
from pie.apps.intents.events import recording
from pie.apps.intents.exceptions import InvalidIntentError
from pie.apps.intents.models import FailedEvent


def record_fact_from_event(
    *, event: recording.BusEvent, kind: FactKind, lms_user_id, run_key, active: bool, mode: str = ""
) -> EventOutcome:
    """Keep the course fact an event maps to (its state as of the event's time); return what became of the event."""
    values = {"kind": kind, "run_key": run_key, "active": active, "mode": mode, "time": event.time}
    return recording.record_from_event(
        event=event,
        kind=FailedEvent.Kind.COURSE_FACT,
        lms_user_id=lms_user_id,
        values=values,
        write=lambda: _write(lms_user_id=lms_user_id, **values),
    )


def replay_course_fact(lms_user_id: int, values: dict) -> bool:
    """``recording.REPLAYERS``' writer of a kept course fact."""
    return _write(lms_user_id=lms_user_id, **{**values, "time": datetime.fromisoformat(values["time"])})


def _write(*, lms_user_id, kind: str, run_key, active: bool, mode: str, time: datetime) -> bool:
    try:
        learner = parse_lms_user_id(lms_user_id)
    except ValueError:
        raise InvalidIntentError({"lms_user_id": "The event names no LMS user id PIE can read."}) from None
    if not is_countable_run_key(run_key):
        raise InvalidIntentError({"run_key": "The event names no course run."})
    if kind == FactKind.ENROLLMENT:
        outcome = services.record_enrollment(lms_user_id=learner, run_key=run_key, is_active=active, mode=mode, at=time)
    else:
        outcome = services.record_course_passing(lms_user_id=learner, run_key=run_key, is_passing=active, at=time)
    return outcome.changed
