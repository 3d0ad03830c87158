"""factory-boy factories for the intent store's tests."""

import uuid
from datetime import UTC, datetime, timedelta

import factory
from django.contrib.auth import get_user_model

from pie.apps.core import retirement
from pie.apps.core.models import RetiredLearner
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


class UserFactory(factory.django.DjangoModelFactory):
    """A local user, as a learner's token makes one: ``learner<lms_user_id>``."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    lms_user_id = factory.Sequence(lambda n: n + 1)
    username = factory.LazyAttribute(lambda user: f"learner{user.lms_user_id}")


class RetiredLearnerFactory(factory.django.DjangoModelFactory):
    """A retired learner's hash, under the current salt, for ``lms_user_id`` (not stored)."""

    class Meta:
        model = RetiredLearner
        exclude = ("lms_user_id",)

    lms_user_id = factory.Sequence(lambda n: n + 1)
    lms_user_id_hash = factory.LazyAttribute(lambda retired: retirement.learner_hashes(retired.lms_user_id)[0])
