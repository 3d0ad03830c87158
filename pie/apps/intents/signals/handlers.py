"""
Receivers of the Open edX events PIE listens to: each maps an event to one service call.

Connected in ``IntentsConfig.ready()``. What becomes of an event (recorded, skipped, kept to
replay, and how long it waits for the database) is decided in ``events.recording``, not here.
The events come from the credentials service on the topic
``learning-program-certificate-lifecycle`` (docs/events.rst).
"""

from django.dispatch import receiver
from openedx_events.learning.signals import PROGRAM_CERTIFICATE_AWARDED, PROGRAM_CERTIFICATE_REVOKED

from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.events import recording


def _bus_event(metadata) -> recording.BusEvent:
    return recording.BusEvent(event_type=metadata.event_type, event_id=metadata.id, time=metadata.time)


def _lms_user_id(program_certificate):
    return getattr(getattr(program_certificate, "user", None), "id", None)


@receiver(PROGRAM_CERTIFICATE_AWARDED, dispatch_uid="pie.intents.program_certificate_awarded")
def record_program_certificate_awarded(sender, program_certificate, metadata, **kwargs) -> None:
    """
    A program certificate awarded: the learner certainly intended to complete the program.

    EARNED_PROGRAM_CERT, CERTAIN_YES, effective when the event happened (its metadata's time,
    the credential's modification time), for the certificate's LMS user id and program UUID.
    """
    recording.record_intent_from_event(
        event=_bus_event(metadata),
        intent={
            "lms_user_id": _lms_user_id(program_certificate),
            "program_uuid": getattr(getattr(program_certificate, "program", None), "uuid", None),
            "reason": IntentReason.EARNED_PROGRAM_CERT,
            "certainty": IntentCertainty.CERTAIN_YES,
            "effective_timestamp": metadata.time,
        },
    )


@receiver(PROGRAM_CERTIFICATE_REVOKED, dispatch_uid="pie.intents.program_certificate_revoked")
def note_program_certificate_revoked(sender, program_certificate, metadata, **kwargs) -> None:
    """A program certificate revoked: no intent (ADR 0010), logged and counted."""
    recording.note_ignored_event(
        event=_bus_event(metadata),
        why=f"a revoked program certificate records no intent (lms_user_id={_lms_user_id(program_certificate)})",
    )
