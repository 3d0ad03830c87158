"""factory-boy factories for the event bus's tests."""

import uuid
from datetime import UTC, datetime

import factory

from pie.apps.bus.models import FailedEvent
from pie.apps.intents.constants import IntentCertainty, IntentReason

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
AWARDED = "org.openedx.learning.program.certificate.awarded.v1"


class FailedEventFactory(factory.django.DjangoModelFactory):
    """A program-certificate event kept in the failed-event store, as the recording keeps one."""

    class Meta:
        model = FailedEvent

    event_type = AWARDED
    kind = "intent"
    event_id = factory.LazyFunction(uuid.uuid4)
    event_time = BASE_TIME
    lms_user_id = factory.Sequence(lambda n: n + 1)
    # What recording keeps of a certificate's intent but its learner, as JSON texts.
    values = factory.Dict(
        {
            "program_uuid": factory.LazyFunction(lambda: str(uuid.uuid4())),
            "reason": IntentReason.EARNED_PROGRAM_CERT.value,
            "certainty": IntentCertainty.CERTAIN_YES.value,
            "effective_timestamp": BASE_TIME.isoformat(),
        }
    )
    attempts = 3
    error = "OperationalError('refused by the test')"
