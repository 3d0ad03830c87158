"""
Intents from the event bus: an event's intent recorded through ``services.record_intent``,
by the bus's pipeline (``bus.recording``: waits while the database is down, retries, the
failed-event store and its replay). ``KIND`` and ``CERTIFICATE_CONSUMER`` are what the intents
app declares to the bus (``IntentsConfig.ready``).
"""

from pie.apps.bus import recording, registry
from pie.apps.bus.constants import EventOutcome
from pie.apps.intents import services
from pie.apps.intents.constants import IntentValues


def record_intent_from_event(*, event: recording.BusEvent, intent: IntentValues) -> EventOutcome:
    """
    Record the intent an event maps to; return what became of the event.

    Values that break a rule (``services.record_intent``'s, which checks them) are logged
    and skipped; the rest is ``bus.recording.record_from_event``'s. The same event twice
    records one intent.
    """
    return recording.record_from_event(
        event=event,
        kind=KIND.name,
        lms_user_id=intent.get("lms_user_id"),
        values={name: value for name, value in intent.items() if name != "lms_user_id"},
        write=lambda: services.record_intent(**intent)[1],
    )


def _replay_intent(lms_user_id: int, values: dict) -> bool:
    return services.record_intent(lms_user_id=lms_user_id, **values)[1]


KIND = registry.EventKind(name="intent", label="intent", replay=_replay_intent)
CERTIFICATE_CONSUMER = registry.Consumer(
    topic_setting="PIE_EVENT_BUS_CERTIFICATE_TOPIC", command=("consume_certificate_events",)
)
