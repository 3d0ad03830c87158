"""
Retiring a learner (services.retire_learner): what it deletes, what it keeps (a salted
hash), and that no write path records the learner's intents afterwards.
"""

import io
import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from pie.apps.bus.constants import EventOutcome
from pie.apps.bus.models import FailedEvent
from pie.apps.bus.recording import BusEvent, replay_failed_events
from pie.apps.bus.tests.factories import FailedEventFactory
from pie.apps.core import retirement
from pie.apps.core.checks import check_retirement_salts
from pie.apps.core.exceptions import InvalidValuesError, LearnerRetiredError
from pie.apps.core.models import RetiredLearner
from pie.apps.core.tests.factories import UserFactory
from pie.apps.intents import services
from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.events_to_intents import record_intent_from_event
from pie.apps.intents.exceptions import ImmutableIntentError
from pie.apps.intents.models import ProgramIntent

pytestmark = pytest.mark.django_db

PROGRAM = uuid.UUID("6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e")
WHEN = datetime(2024, 7, 1, tzinfo=UTC)
User = get_user_model()


def record(lms_user_id: int, **overrides):
    fields = {
        "lms_user_id": lms_user_id,
        "program_uuid": PROGRAM,
        "reason": IntentReason.BUNDLE_PURCHASE,
        "certainty": IntentCertainty.CERTAIN_YES,
        "effective_timestamp": WHEN,
    }
    return services.record_intent(**{**fields, **overrides})


def keep_failed_event(lms_user_id: int) -> FailedEvent:
    return FailedEventFactory(lms_user_id=lms_user_id, values__program_uuid=str(PROGRAM))


def csv_row(lms_user_id: int, *, when: str = "2024-07-01 00:00:00 Z") -> dict:
    return {
        "lms_user_id": str(lms_user_id),
        "program_uuid": str(PROGRAM),
        "reason": "BUNDLE_PURCHASE",
        "certainty": "CERTAIN_YES",
        "effective_timestamp": when,
    }


class TestRetireLearner:
    def test_deletes_exactly_that_learner_s_intents_user_and_kept_events(self, caplog):
        for hour in range(3):
            record(5, effective_timestamp=WHEN.replace(hour=hour))
        record(6)
        UserFactory(lms_user_id=5)
        UserFactory(lms_user_id=6)
        keep_failed_event(5)
        keep_failed_event(6)

        result = services.retire_learner(lms_user_id=5)

        assert (result.intents, result.users, result.failed_events) == (3, 1, 1)
        assert list(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [6]
        assert list(User.objects.values_list("lms_user_id", flat=True)) == [6]
        assert list(FailedEvent.objects.values_list("lms_user_id", flat=True)) == [6]
        assert "Retired learner lms_user_id=5: deleted 3 intents, 1 local users, 1 failed events" in caplog.text
        # No username, email or other identifier than the id reaches the log.
        assert "learner5" not in caplog.text

    def test_again_or_for_an_unknown_learner_deletes_nothing_and_succeeds(self):
        record(5)
        services.retire_learner(lms_user_id=5)
        again = services.retire_learner(lms_user_id=5)
        never_seen = services.retire_learner(lms_user_id=77)
        assert (again.intents, again.users, again.failed_events) == (0, 0, 0)
        assert (never_seen.intents, never_seen.users) == (0, 0)
        assert RetiredLearner.objects.count() == 2

    def test_keeps_a_salted_hash_not_the_id(self, settings):
        services.retire_learner(lms_user_id=5)
        kept = RetiredLearner.objects.get().lms_user_id_hash
        assert kept not in (5, 0)
        assert kept == retirement.learner_hashes(5)[0]
        settings.PIE_RETIREMENT_SALTS = ["another salt"]
        assert retirement.learner_hashes(5) != [kept]

    def test_the_model_still_refuses_deletion_everywhere_else(self):
        intent, _ = record(5)
        with pytest.raises(ImmutableIntentError):
            intent.delete()
        with pytest.raises(ImmutableIntentError):
            ProgramIntent.objects.filter(lms_user_id=5).delete()
        assert ProgramIntent.objects.count() == 1


class TestRetiredStaysRetired:
    def test_record_intent_refuses_the_learner_after_its_insert(self, django_assert_max_num_queries):
        services.retire_learner(lms_user_id=5)
        # A savepoint, the insert, the locking read of the learner's hash, the rollback to the
        # savepoint and its release (ADR 0017).
        with django_assert_max_num_queries(5), pytest.raises(LearnerRetiredError) as refused:
            record(5)
        assert isinstance(refused.value, InvalidValuesError)
        assert set(refused.value.errors) == {"lms_user_id"}
        assert not ProgramIntent.objects.exists()
        # Another learner is recorded as before.
        intent, created = record(6)
        assert created
        assert ProgramIntent.objects.get() == intent

    def test_an_earlier_salt_is_still_checked(self, settings):
        settings.PIE_RETIREMENT_SALTS = ["old salt"]
        services.retire_learner(lms_user_id=5)
        settings.PIE_RETIREMENT_SALTS = ["new salt", "old salt"]
        with pytest.raises(LearnerRetiredError):
            record(5)
        assert retirement.retired_among_hashes(retirement.hashes_of_learners([5, 6])) == {5}

    def test_no_salt_refuses_every_write_rather_than_let_a_retired_learner_back(self, settings):
        settings.PIE_RETIREMENT_SALTS = []
        with pytest.raises(ImproperlyConfigured, match="PIE_RETIREMENT_SALTS"):
            record(5)
        with pytest.raises(ImproperlyConfigured, match="PIE_RETIREMENT_SALTS"):
            services.retire_learner(lms_user_id=5)

    def test_a_batch_rejects_every_row_of_the_learner_and_loads_the_others(self, django_assert_max_num_queries):
        services.retire_learner(lms_user_id=5)
        rows = [csv_row(4), csv_row(5), csv_row(5), csv_row(5, when="2024-07-02 00:00:00 Z"), csv_row(6), csv_row(0)]
        rows.insert(1, csv_row(-1))  # a bad row before the retired learner's
        # The insert and the locking read of the hashes, rolled back for the retired learner,
        # then again without their rows: each in a savepoint (ADR 0017).
        with django_assert_max_num_queries(9):
            result = services.record_intents(rows)
        assert (result.inserted, result.duplicates) == (2, 0)
        retired = [rejected for rejected in result.rejected if rejected.errors == LearnerRetiredError().errors]
        assert [rejected.row for rejected in retired] == rows[2:5]
        assert [rejected.row for rejected in result.rejected] == [*rows[1:5], rows[6]]  # in the rows' order
        assert result.rows == len(rows)
        assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [4, 6]

    def test_a_dry_run_counts_them_as_rejected_too(self):
        services.retire_learner(lms_user_id=5)
        result = services.record_intents([csv_row(5), csv_row(6)], dry_run=True)
        assert (result.inserted, len(result.rejected)) == (1, 1)

    def test_the_bulk_command_reports_the_learner_s_lines(self, tmp_path):
        services.retire_learner(lms_user_id=5)
        report = tmp_path / "intents.csv"
        report.write_text(
            "program_uuid,user_id,intent_reason,intent_certainty,effective_time\n"
            f"{PROGRAM},4,BUNDLE_PURCHASE,CERTAIN_YES,2024-07-01 00:00:00 Z\n"
            f"{PROGRAM},5,BUNDLE_PURCHASE,CERTAIN_YES,2024-07-01 00:00:00 Z\n"
        )
        stderr = io.StringIO()
        with pytest.raises(Exception, match="rejected"):
            call_command("bulk_insert_intents", str(report), stdout=io.StringIO(), stderr=stderr)
        assert "line 3: user_id '5': This learner is retired" in stderr.getvalue()
        assert list(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [4]

    def test_an_event_for_the_learner_is_skipped_not_kept(self):
        services.retire_learner(lms_user_id=5)
        outcome = record_intent_from_event(
            event=BusEvent(
                event_type="org.openedx.learning.program.certificate.awarded.v1", event_id=uuid.uuid4(), time=WHEN
            ),
            intent={
                "lms_user_id": 5,
                "program_uuid": PROGRAM,
                "reason": IntentReason.EARNED_PROGRAM_CERT,
                "certainty": IntentCertainty.CERTAIN_YES,
                "effective_timestamp": WHEN,
            },
        )
        assert outcome == EventOutcome.SKIPPED
        assert not FailedEvent.objects.exists()
        assert not ProgramIntent.objects.exists()

    def test_a_replayed_event_of_the_learner_is_forgotten(self):
        services.retire_learner(lms_user_id=5)
        keep_failed_event(5)  # kept after the retirement, say by a consumer that was still running
        keep_failed_event(6)
        result = replay_failed_events()
        assert (result.recorded, result.retired, result.still_failing) == (1, 1, 0)
        assert not FailedEvent.objects.exists()
        assert list(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [6]


@pytest.mark.parametrize(
    "salts", [[], [""], "a-string", [12345], None], ids=["empty", "blank", "string", "int", "none"]
)
def test_a_configuration_without_usable_salts_is_a_check_error(settings, salts):
    settings.PIE_RETIREMENT_SALTS = salts
    errors = [message for message in check_retirement_salts() if message.id == "pie.E010"]
    assert len(errors) == 1


def test_the_test_settings_salts_pass_the_check():
    assert check_retirement_salts() == []


def test_retiring_deletes_the_learner_s_lms_sign_in_record_with_their_user():
    from social_django.models import UserSocialAuth

    user = UserFactory(lms_user_id=5)
    UserSocialAuth.objects.create(user=user, provider="edx-oauth2", uid="learner5", extra_data={"access_token": "t"})
    services.retire_learner(lms_user_id=5)
    assert not UserSocialAuth.objects.exists()
