"""
The event bus's own tables: the failed-event store and the consumers' handling status.

Both were the intents app's until ADR 25 moved them here; their tables keep their names
(``intents_failedevent``, ``intents_eventhandlingstatus``), so no row moved.
"""

from django.db import models

from pie.apps.bus.constants import EVENT_KIND_MAX_LENGTH, EVENT_OUTCOME_MAX_LENGTH, EVENT_TYPE_MAX_LENGTH, EventOutcome
from pie.apps.bus.registry import kind_choices
from pie.apps.core.lms import lms_user_id_field


class FailedEvent(models.Model):
    """
    An event from the event bus whose write could not be done, kept to be replayed.

    The bus acknowledges every message it delivers, also when a receiver failed, so what
    PIE does not store is gone: an event whose write kept failing while the database
    answered is kept here until ``manage.py replay_failed_events`` writes it again. Only what
    PIE maps is kept: the event's type, id and time, its learner, and what the receiver
    mapped it to (``kind``, one of the registry's, and ``values``: its other fields, as JSON
    texts); no username, email or name.

    .. pii: lms_user_id identifies a learner; their kept events are deleted when the learner
       is retired (POST /api/v1/retire_user/, services.retire_learner).
    .. pii_types: id
    .. pii_retirement: local_api
    """

    event_type = models.CharField(max_length=EVENT_TYPE_MAX_LENGTH, help_text="The event's type.")
    event_id = models.UUIDField(
        unique=True, verbose_name="event ID", help_text="The event's id: an event is kept once."
    )
    kind = models.CharField(
        max_length=EVENT_KIND_MAX_LENGTH,
        choices=kind_choices,
        help_text="What the event writes: a kind an app declared to the bus (registry).",
    )
    event_time = models.DateTimeField(help_text="The event's own time.")
    lms_user_id = lms_user_id_field(db_index=True)
    values = models.JSONField(help_text="What the event maps to, but its learner: field name -> value.")
    attempts = models.PositiveIntegerField(help_text="Writes tried before the event was kept.")
    error = models.TextField(help_text="The last write's error.")
    created = models.DateTimeField(auto_now_add=True, help_text="When the event was kept.")

    class Meta:
        db_table = "intents_failedevent"
        # The admin's replay action (bus.admin): staff with it replay the rows they select.
        permissions = [("replay_failedevent", "Can replay failed events")]

    def __str__(self):
        return f"{self.event_type} {self.event_id} (learner {self.lms_user_id})"


class EventHandlingStatus(models.Model):
    """
    What PIE's event consumers last did with one type of event, for operators
    (``manage.py event_consumer_status``).

    .. no_pii: Event types, ids, times and counts; no learner.
    """

    event_type = models.CharField(max_length=EVENT_TYPE_MAX_LENGTH, unique=True, help_text="The event's type.")
    last_event_id = models.UUIDField(help_text="The last event handled.")
    last_event_time = models.DateTimeField(help_text="Its own time.")
    last_outcome = models.CharField(
        max_length=EVENT_OUTCOME_MAX_LENGTH, choices=EventOutcome.choices, help_text="What became of it."
    )
    last_handled_at = models.DateTimeField(help_text="When PIE finished handling it.")
    handled_count = models.PositiveBigIntegerField(default=0, help_text="Events of this type handled.")

    class Meta:
        db_table = "intents_eventhandlingstatus"
        verbose_name_plural = "event handling statuses"

    def __str__(self):
        return f"{self.event_type}: {self.handled_count} handled, the last at {self.last_handled_at:%Y-%m-%d %H:%M:%S}"
