"""factory-boy factories for the intent store's tests."""

import uuid
from datetime import UTC, datetime, timedelta

import factory

from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.models import ProgramIntent

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


class ProgramIntentFactory(factory.django.DjangoModelFactory):
    """Builds intents directly, for setting up reads; writes under test go through services."""

    class Meta:
        model = ProgramIntent

    lms_user_id = factory.Sequence(lambda n: n + 1)
    program_uuid = factory.LazyFunction(uuid.uuid4)
    reason = IntentReason.BUNDLE_PURCHASE
    certainty = IntentCertainty.CERTAIN_YES
    effective_timestamp = factory.Sequence(lambda n: BASE_TIME + timedelta(minutes=n))
