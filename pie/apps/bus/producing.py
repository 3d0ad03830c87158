"""
Sending events to the bus with openedx-events' configured producer, as the services PIE
listens to do: for the demos (``make demo-event``, ``make demo-enrollment``) and the tests.
Each app builds its own events (``intents.producing``, ``engagement.producing``); PIE's
request path and consumers send none.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from openedx_events.event_bus import NoEventBusProducer, get_producer
from openedx_events.learning.data import UserData, UserPersonalData
from openedx_events.tooling import OpenEdxPublicSignal


class ProducerError(Exception):
    """The event could not be handed to the event bus."""


class _Errors(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The library's message repeats the whole event (its user's username and email):
        # keep only the exception's own words.
        error = record.exc_info[1] if record.exc_info else None
        self.messages.append(str(error) if error else "the event bus producer reported an error")


@contextmanager
def _producer_errors() -> Iterator[_Errors]:
    # The bus libraries' producers log a failed send (with a traceback and the whole event)
    # and return as if it had worked: their log is taken here, not printed.
    errors = _Errors()
    loggers = [logging.getLogger(name) for name in ("edx_event_bus_redis", "edx_event_bus_kafka")]
    propagate = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.addHandler(errors)
        logger.propagate = False
    try:
        yield errors
    finally:
        for logger, was in zip(loggers, propagate, strict=True):
            logger.removeHandler(errors)
            logger.propagate = was


def demo_user(lms_user_id) -> UserData:
    """The user of a demo event: LMS user ``lms_user_id``, with made-up personal data (which PIE never reads)."""
    learner = f"demo-learner-{lms_user_id}"
    return UserData(
        id=lms_user_id,
        is_active=True,
        pii=UserPersonalData(username=learner, email=f"{learner}@example.com", name="Demo Learner"),
    )


def send_to_bus(*, signal: OpenEdxPublicSignal, topic: str, event_key_field: str, event_data: dict, metadata) -> None:
    """Send one event with the configured producer; ``ProducerError`` if none is configured or it reported an error."""
    producer = get_producer()
    if isinstance(producer, NoEventBusProducer):
        raise ProducerError("No event bus producer is configured (EVENT_BUS_PRODUCER and its settings).")
    with _producer_errors() as errors:
        producer.send(
            signal=signal, topic=topic, event_key_field=event_key_field, event_data=event_data, event_metadata=metadata
        )
        # Kafka's producer delivers in the background: wait for it before a command exits.
        prepare_for_shutdown = getattr(producer, "prepare_for_shutdown", None)
        if prepare_for_shutdown:
            prepare_for_shutdown()
    if errors.messages:
        raise ProducerError("; ".join(errors.messages))
