"""The model layer: the database constraints and immutability."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from pie.apps.intents.constants import DEDUPLICATION_FIELDS, IntentCertainty, IntentReason
from pie.apps.intents.exceptions import ImmutableIntentError
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.tests.factories import ProgramIntentFactory

pytestmark = pytest.mark.django_db


def test_unique_constraint_is_enforced_by_the_database():
    intent = ProgramIntentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        # A fresh instance with the same five fields: only the database can refuse it.
        ProgramIntent.objects.create(
            lms_user_id=intent.lms_user_id,
            program_uuid=intent.program_uuid,
            reason=intent.reason,
            certainty=intent.certainty,
            effective_timestamp=intent.effective_timestamp,
        )
    assert ProgramIntent.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"lms_user_id": 999},
        {"program_uuid": uuid.uuid4()},
        {"reason": IntentReason.LEARNER_STATED},
        {"certainty": IntentCertainty.MAYBE},
        {"effective_timestamp": datetime(2020, 1, 1, 0, 0, 0, 1, tzinfo=UTC)},
    ],
)
def test_intents_differing_in_one_deduplication_field_are_distinct(change):
    intent = ProgramIntentFactory()
    fields = {
        "lms_user_id": intent.lms_user_id,
        "program_uuid": intent.program_uuid,
        "reason": intent.reason,
        "certainty": intent.certainty,
        "effective_timestamp": intent.effective_timestamp,
    }
    ProgramIntent.objects.create(**{**fields, **change})
    assert ProgramIntent.objects.count() == 2


def test_certainty_outside_the_enum_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgramIntentFactory(certainty="PROBABLY")


def test_effective_timestamp_keeps_microseconds():
    moment = datetime(2023, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    intent = ProgramIntentFactory(effective_timestamp=moment)
    assert ProgramIntent.objects.get(pk=intent.pk).effective_timestamp == moment


def test_saving_an_existing_intent_again_is_refused():
    intent = ProgramIntentFactory(certainty=IntentCertainty.MAYBE)
    intent.certainty = IntentCertainty.CERTAIN_NO
    with pytest.raises(ImmutableIntentError, match="immutable"):
        intent.save()
    assert ProgramIntent.objects.get(pk=intent.pk).certainty == IntentCertainty.MAYBE


def test_queryset_update_is_refused():
    intent = ProgramIntentFactory(certainty=IntentCertainty.MAYBE)
    with pytest.raises(ImmutableIntentError):
        ProgramIntent.objects.filter(pk=intent.pk).update(certainty=IntentCertainty.CERTAIN_NO)
    with pytest.raises(ImmutableIntentError):
        ProgramIntent.objects.bulk_update([intent], ["certainty"])
    assert ProgramIntent.objects.get(pk=intent.pk).certainty == IntentCertainty.MAYBE


def test_bulk_create_may_skip_conflicts_but_not_update_them():
    intent = ProgramIntentFactory(certainty=IntentCertainty.MAYBE)
    again = ProgramIntent(**{field: getattr(intent, field) for field in DEDUPLICATION_FIELDS})
    with pytest.raises(ImmutableIntentError):
        ProgramIntent.objects.bulk_create(
            [again], update_conflicts=True, unique_fields=DEDUPLICATION_FIELDS, update_fields=["created"]
        )
    ProgramIntent.objects.bulk_create([again], ignore_conflicts=True)
    assert list(ProgramIntent.objects.values_list("pk", "created")) == [(intent.pk, intent.created)]


def test_delete_is_refused_for_one_intent_and_for_a_queryset():
    intent = ProgramIntentFactory()
    with pytest.raises(ImmutableIntentError):
        intent.delete()
    with pytest.raises(ImmutableIntentError):
        ProgramIntent.objects.all().delete()
    assert ProgramIntent.objects.filter(pk=intent.pk).exists()


def test_a_new_reason_needs_no_migration():
    """Reason choices are read through a callable, so the migration does not list them."""
    field = ProgramIntent._meta.get_field("reason")
    _, _, _, kwargs = field.deconstruct()
    assert callable(kwargs["choices"])
    assert set(dict(field.choices)) == set(IntentReason.values)
