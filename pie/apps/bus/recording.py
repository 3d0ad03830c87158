"""
What becomes of an event from the bus: what it maps to written, skipped, or kept to replay.

``record_from_event`` returns only once the event's write is done, skipped (its values are
refused), or kept in the failed-event store (its write kept failing, or is not due yet),
because the consumer acknowledges every
message once the receivers return. It never raises for an event's values or the database's
state: with DEBUG on, openedx-events lets a receiver's exception reach the consumer. What a
kept event writes again is its kind's ``replay``, which its app declared (``registry``).
"""

import json
import logging
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from edx_django_utils.monitoring import set_custom_attribute

from pie.apps.bus import registry, retry, status
from pie.apps.bus.constants import EventOutcome
from pie.apps.bus.models import FailedEvent
from pie.apps.core.exceptions import InvalidValuesError, LearnerRetiredError, NotDueYetError
from pie.apps.core.lms import parse_lms_user_id

log = logging.getLogger(__name__)

# A kept error's text is for a person reading it, not a full traceback.
_ERROR_MAX_LENGTH = 2000


@dataclass(frozen=True, kw_only=True)
class BusEvent:
    """The identity of one event: what PIE logs, counts and keeps of it besides its intent."""

    event_type: str
    event_id: uuid.UUID
    time: datetime


def bus_event(metadata) -> BusEvent:
    """The identity of the event whose openedx-events ``metadata`` a receiver was given."""
    return BusEvent(event_type=metadata.event_type, event_id=metadata.id, time=metadata.time)


@dataclass
class ReplayResult:
    """
    What ``replay_failed_events`` did: events written, already recorded, still failing, not
    due yet (left waiting), of retired learners (forgotten).
    """

    recorded: int = 0
    already_recorded: int = 0
    still_failing: int = 0
    not_due: int = 0
    retired: int = 0


def record_from_event(
    *, event: BusEvent, kind: str, lms_user_id, values: dict, write: Callable[[], bool]
) -> EventOutcome:
    """
    Handle an event whose effect is ``write()`` (which returns whether it recorded something
    new); return what became of the event.

    Values that break a rule (``write`` raises ``InvalidValuesError``, a retired learner's
    included) are logged and skipped. While the database is unreachable this waits without
    limit; a write that fails while the database answers is tried ``PIE_EVENT_WRITE_ATTEMPTS``
    times, then the event is kept in the failed-event store: ``kind`` (a registered kind)
    and ``values`` are what is kept of it, for the kind's ``replay`` to write again. One
    that is not due yet (``write`` raises ``NotDueYetError``) is kept at once. The same
    event twice writes once, if ``write`` is idempotent, as every registered one is.
    """
    tries = retry.Tries()
    with retry.interrupts_end_the_process():
        outcome = _record(event=event, kind=kind, lms_user_id=lms_user_id, values=values, write=write, tries=tries)
        _finish(event=event, outcome=outcome, tries=tries)
    return outcome


def note_ignored_event(*, event: BusEvent, why: str) -> EventOutcome:
    """Record nothing for an event that maps to nothing by decision; log and count it."""
    log.info("Ignored event %s (%s): %s", event.event_id, event.event_type, why)
    _finish(event=event, outcome=EventOutcome.IGNORED, tries=retry.Tries())
    return EventOutcome.IGNORED


def replay_failed_events(*, ids: Collection[int] | None = None) -> ReplayResult:
    """
    Write the kept events again (each by its kind's ``replay``), oldest first; forget each one written.
    With ``ids`` (the admin's selected rows), only the kept events of those primary keys.

    Idempotent: what is already recorded counts as such and its event is forgotten too, so
    running it again, or while a consumer runs, records nothing twice. An event not due yet
    stays, untouched, for a later run. An event that still fails, whatever it raises, stays
    with its new error and is logged with its id; the replay goes on with the next one.
    """
    result = ReplayResult()
    kept = FailedEvent.objects.order_by("id")
    if ids is not None:
        kept = kept.filter(pk__in=list(ids))
    for failed in list(kept):
        try:
            with transaction.atomic():
                is_new = registry.kind(failed.kind).replay(failed.lms_user_id, failed.values)
                FailedEvent.objects.filter(pk=failed.pk).delete()
        except LearnerRetiredError:
            # Retired since the event was kept (retirement deletes what is kept at that time).
            FailedEvent.objects.filter(pk=failed.pk).delete()
            log.info("Forgot failed event %s: its learner is retired", failed.event_id)
            result.retired += 1
            continue
        except NotDueYetError as not_due:
            log.info("Failed event %s is not due yet: it waits until %s", failed.event_id, not_due.due.isoformat())
            result.not_due += 1
            continue
        except Exception as error:  # one event's error, whatever it is, must not stop the others
            log.warning("Failed event %s still fails: %r", failed.event_id, error)
            FailedEvent.objects.filter(pk=failed.pk).update(error=repr(error)[:_ERROR_MAX_LENGTH])
            result.still_failing += 1
            continue
        log.info("Replayed failed event %s (%s)", failed.event_id, "recorded" if is_new else "already recorded")
        if is_new:
            result.recorded += 1
        else:
            result.already_recorded += 1
    return result


def forget_failed_events(*, lms_user_id: int) -> int:
    """Delete the kept events of a learner (retired); return how many there were."""
    return FailedEvent.objects.filter(lms_user_id=lms_user_id).delete()[0]


def _record(*, event: BusEvent, kind: str, lms_user_id, values: dict, write, tries: retry.Tries) -> EventOutcome:
    try:
        is_new = retry.call_with_retries(write, tries=tries, what=f"recording event {event.event_id}")
    except InvalidValuesError as error:  # values that break a rule, or a retired learner
        label = registry.kind(kind).label
        log.warning("Skipped event %s (%s), which maps to no %s: %s", event.event_id, event.event_type, label, error)
        return EventOutcome.SKIPPED
    except NotDueYetError as error:  # kept at once: retrying would not make it due
        log.warning(
            "Keeping event %s (%s): not due yet, to replay from %s",
            event.event_id,
            event.event_type,
            error.due.isoformat(),
        )
        return _keep_failed_event(
            event=event, kind=kind, lms_user_id=lms_user_id, values=values, tries=tries, error=error, logged=True
        )
    except Exception as error:  # whatever failed, the event is kept rather than lost
        return _keep_failed_event(
            event=event, kind=kind, lms_user_id=lms_user_id, values=values, tries=tries, error=error
        )
    return EventOutcome.RECORDED if is_new else EventOutcome.DUPLICATE


class _ExactJSONEncoder(json.JSONEncoder):
    """UUIDs and datetimes as their full texts (Django's encoder would cut microseconds)."""

    def default(self, value):
        if isinstance(value, uuid.UUID | datetime):
            return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
        return super().default(value)


def _keep_failed_event(
    *, event: BusEvent, kind: str, lms_user_id, values: dict, tries: retry.Tries, error: Exception, logged=False
) -> EventOutcome:
    """
    Keep an event whose write kept failing (its values passed their checks: only a write
    that got to the database fails this way), or is not due yet (``logged`` already);
    waits for the database like the write did.
    """
    if not logged:
        log.error(
            "Keeping event %s (%s) after %d failed writes: %r",
            event.event_id,
            event.event_type,
            tries.failed_writes,
            error,
        )

    def keep() -> None:
        FailedEvent.objects.get_or_create(
            event_id=event.event_id,
            defaults={
                "event_type": event.event_type,
                "event_time": event.time,
                "kind": kind,
                "lms_user_id": parse_lms_user_id(lms_user_id),
                "values": json.loads(json.dumps(values, cls=_ExactJSONEncoder)),
                "attempts": tries.failed_writes,
                "error": repr(error)[:_ERROR_MAX_LENGTH],
            },
        )

    try:
        retry.call_waiting_for_database(keep, tries=tries, what=f"keeping event {event.event_id}")
    except Exception as keep_error:  # the log is then the last place that holds the event
        log.critical(
            "Could not keep event %s (%s): %r; it was %s for learner %s",
            event.event_id,
            event.event_type,
            keep_error,
            values,
            lms_user_id,
        )
        return EventOutcome.FAILED
    return EventOutcome.KEPT


def _finish(*, event: BusEvent, outcome: EventOutcome, tries: retry.Tries) -> None:
    """Count the event for operators and monitoring, and close the database connection."""
    # .. custom_attribute_name: pie_event_outcome
    # .. custom_attribute_description: What became of the event (constants.EventOutcome).
    set_custom_attribute("pie_event_outcome", outcome.value)
    set_custom_attribute("pie_event_type", event.event_type)
    set_custom_attribute("pie_event_id", str(event.event_id))
    # .. custom_attribute_name: pie_event_failed_writes
    # .. custom_attribute_description: Writes of the event that failed while the database answered.
    set_custom_attribute("pie_event_failed_writes", tries.failed_writes)
    # .. custom_attribute_name: pie_event_database_waits
    # .. custom_attribute_description: Waits for an unreachable database while handling the event.
    set_custom_attribute("pie_event_database_waits", tries.database_waits)
    status.note_event_handled(event_type=event.event_type, event_id=event.event_id, time=event.time, outcome=outcome)
    retry.close_database_connection()
