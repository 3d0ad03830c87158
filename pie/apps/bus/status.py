"""
What operators see of PIE's event consumers: per event type, the last event handled and
how many were, and how many events wait in the failed-event store.

Written once per event by ``recording``, read by ``manage.py event_consumer_status``.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Min
from django.utils import timezone

from pie.apps.bus.constants import EventOutcome
from pie.apps.bus.models import EventHandlingStatus, FailedEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsumerHealth:
    """The consumers' status per event type, and the failed-event store's size and oldest entry."""

    event_types: list[EventHandlingStatus]
    failed_events: int
    oldest_failed_event: datetime | None


def note_event_handled(*, event_type: str, event_id: uuid.UUID, time: datetime, outcome: EventOutcome) -> None:
    """
    Count one handled event of ``event_type`` and remember it as the last.

    For operators only, so a failure is logged and the event goes on: it is already
    recorded, skipped or kept by then.
    """
    last = {
        "last_event_id": event_id,
        "last_event_time": time,
        "last_outcome": outcome,
        "last_handled_at": timezone.now(),
    }
    try:
        counted = EventHandlingStatus.objects.filter(event_type=event_type)
        if not counted.update(handled_count=F("handled_count") + 1, **last):
            try:
                with transaction.atomic():
                    EventHandlingStatus.objects.create(event_type=event_type, handled_count=1, **last)
            except IntegrityError:  # another consumer counted the first event of this type a moment before
                counted.update(handled_count=F("handled_count") + 1, **last)
    except DatabaseError as error:
        log.warning("Could not update the status of %s events: %r", event_type, error)


def consumer_health() -> ConsumerHealth:
    """The status of every event type handled so far, and of the failed-event store."""
    failed = FailedEvent.objects.aggregate(oldest=Min("created"))
    return ConsumerHealth(
        event_types=list(EventHandlingStatus.objects.order_by("event_type")),
        failed_events=FailedEvent.objects.count(),
        oldest_failed_event=failed["oldest"],
    )
