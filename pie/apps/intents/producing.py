"""
Producing program-certificate events as the credentials service does, for ``make demo-event``
and the tests: openedx-events' producer (``bus.producing``), a real ``ProgramCertificateData``.
"""

import uuid
from datetime import datetime

import attr
from django.conf import settings
from openedx_events.data import EventsMetadata
from openedx_events.learning.data import ProgramCertificateData, ProgramData
from openedx_events.tooling import OpenEdxPublicSignal

from pie.apps.bus.producing import demo_user, send_to_bus

# The event key the credentials service uses for this topic.
EVENT_KEY_FIELD = "program_certificate.program.uuid"


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
        topic=settings.PIE_EVENT_BUS_CERTIFICATE_TOPIC,
        event_key_field=EVENT_KEY_FIELD,
        event_data={"program_certificate": certificate},
        metadata=metadata,
    )
    return metadata
