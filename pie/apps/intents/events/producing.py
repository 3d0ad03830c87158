"""
Producing program-certificate events as the credentials service does, for ``make demo-event``
and the tests: openedx-events' producer, a real ``ProgramCertificateData``.

PIE itself produces nothing else.
"""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import attr
from django.conf import settings
from openedx_events.data import EventsMetadata
from openedx_events.event_bus import NoEventBusProducer, get_producer
from openedx_events.learning.data import ProgramCertificateData, ProgramData, UserData, UserPersonalData
from openedx_events.tooling import OpenEdxPublicSignal

# The event key the credentials service uses for this topic.
EVENT_KEY_FIELD = "program_certificate.program.uuid"


class ProducerError(Exception):
    """The event could not be handed to the event bus."""


class _Errors(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _producer_errors() -> Iterator[_Errors]:
    # The bus libraries' producers log a failed send and return as if it had worked.
    errors = _Errors()
    loggers = [logging.getLogger(name) for name in ("edx_event_bus_redis", "edx_event_bus_kafka")]
    for logger in loggers:
        logger.addHandler(errors)
    try:
        yield errors
    finally:
        for logger in loggers:
            logger.removeHandler(errors)


def send_program_certificate_event(
    *,
    signal: OpenEdxPublicSignal,
    lms_user_id,
    program_uuid,
    time: datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> EventsMetadata:
    """
    Send one program-certificate event (``signal`` is AWARDED or REVOKED) to the bus.

    ``lms_user_id`` and ``program_uuid`` go into the event as they are (a test may send
    values PIE refuses). ``time`` (UTC, default now) and ``event_id`` (default a new one) make
    its metadata. Returns the metadata; raises ``ProducerError`` if the bus is not
    configured or its producer reported an error.
    """
    metadata = signal.generate_signal_metadata(time=time)
    if event_id is not None:
        metadata = attr.evolve(metadata, id=event_id)  # the metadata is frozen
    certificate = ProgramCertificateData(
        user=demo_user(lms_user_id),
        program=ProgramData(uuid=str(program_uuid), title="Demo program", program_type="professional-certificate"),
        uuid=str(uuid.uuid4()),
        status="awarded" if signal.event_type.endswith(".awarded.v1") else "revoked",
        url="https://credentials.example.com/credentials/demo/",
    )
    send_to_bus(
        signal=signal,
        topic=settings.PIE_EVENT_BUS_TOPIC,
        event_key_field=EVENT_KEY_FIELD,
        event_data={"program_certificate": certificate},
        metadata=metadata,
    )
    return metadata


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
