"""
Receivers of the Open edX events PIE listens to: each maps an event to one service call.

Connected in ``IntentsConfig.ready()``. What becomes of an event (recorded, skipped, kept to
replay, and how long it waits for the database) is decided by the bus (``bus.recording``), not
here. The events come from the credentials service on ``PIE_EVENT_BUS_CERTIFICATE_TOPIC``
(``learning-program-certificate-lifecycle``; docs/events.rst).
"""

from django.dispatch import receiver
from openedx_events.learning.signals import PROGRAM_CERTIFICATE_AWARDED, PROGRAM_CERTIFICATE_REVOKED

from pie.apps.bus.recording import bus_event, note_ignored_event
from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.events_to_intents import record_intent_from_event


def _lms_user_id(program_certificate):
    return getattr(getattr(program_certificate, "user", None), "id", None)


@receiver(PROGRAM_CERTIFICATE_AWARDED, dispatch_uid="pie.intents.program_certificate_awarded")
def record_program_certificate_awarded(sender, program_certificate, metadata, **kwargs) -> None:
    """
    A program certificate awarded: the learner certainly intended to complete the program.

    EARNED_PROGRAM_CERT, CERTAIN_YES, effective when the event happened (its metadata's time,
    the credential's modification time), for the certificate's LMS user id and program UUID.
    """
    record_intent_from_event(
        event=bus_event(metadata),
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
    note_ignored_event(
        event=bus_event(metadata),
        why=f"a revoked program certificate records no intent (lms_user_id={_lms_user_id(program_certificate)})",
    )
