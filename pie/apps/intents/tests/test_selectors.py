"""The read rule: the most recent and certain intent per program."""

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from pie.apps.intents import services
from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.selectors import IntentRow, most_recent_and_certain
from pie.apps.intents.tests.factories import BASE_TIME, ProgramIntentFactory
from pie.apps.intents.tests.oracle import oracle

YES, NO, MAYBE = IntentCertainty.CERTAIN_YES, IntentCertainty.CERTAIN_NO, IntentCertainty.MAYBE
LEARNER = 1001


def at(minutes):
    return BASE_TIME + timedelta(minutes=minutes)


def rows(*intents):
    """The selector's rows for these intents: their values as the ORM reads them back."""
    return [IntentRow(*ProgramIntent.objects.values_list(*IntentRow._fields).get(pk=intent.pk)) for intent in intents]


# Each case: the intents of one learner for one program, as (name, certainty, minutes,
# reason), and the name of the intent the rule must pick. Names are recorded in order,
# so a later name has the later `created` and the larger id.
CASES = {
    "certain beats a newer maybe": ([("yes", YES, 0, None), ("maybe", MAYBE, 10, None)], "yes"),
    "certain no beats a newer maybe": ([("no", NO, 0, None), ("maybe", MAYBE, 10, None)], "no"),
    "newest certain wins, yes over older no": ([("no", NO, 0, None), ("yes", YES, 5, None)], "yes"),
    "newest certain wins, no over older yes": ([("yes", YES, 0, None), ("no", NO, 5, None)], "no"),
    "only maybes gives the newest maybe": (
        [("old", MAYBE, 0, None), ("new", MAYBE, 9, None), ("mid", MAYBE, 4, None)],
        "new",
    ),
    "newest certain even when recorded first": ([("late", YES, 20, None), ("early", NO, 3, None)], "late"),
    "tie on timestamp goes to the later created": (
        [("first", YES, 5, IntentReason.BUNDLE_PURCHASE), ("second", NO, 5, IntentReason.LEARNER_STATED)],
        "second",
    ),
    "tie among maybes goes to the later created": (
        [("a", MAYBE, 5, IntentReason.ENROLLED_ALL_COURSES), ("b", MAYBE, 5, IntentReason.LEARNER_STATED)],
        "b",
    ),
    "a tie of certain and maybe still goes to the certain": (
        [("yes", YES, 5, IntentReason.BUNDLE_PURCHASE), ("maybe", MAYBE, 5, IntentReason.LEARNER_STATED)],
        "yes",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("intents", "expected"), CASES.values(), ids=CASES.keys())
def test_rule_table(intents, expected):
    program = uuid.uuid4()
    made = {
        name: ProgramIntentFactory(
            lms_user_id=LEARNER,
            program_uuid=program,
            certainty=certainty,
            reason=reason or IntentReason.BUNDLE_PURCHASE,
            effective_timestamp=at(minutes),
        )
        for name, certainty, minutes, reason in intents
    }
    assert list(most_recent_and_certain(lms_user_id=LEARNER)) == rows(made[expected])


@pytest.mark.django_db
def test_tie_on_timestamp_goes_to_the_later_created_even_with_the_smaller_id(monkeypatch):
    program = uuid.uuid4()
    recorded_at = iter([at(500), at(400)])  # the first row recorded gets the later `created`
    monkeypatch.setattr(services.timezone, "now", lambda: next(recorded_at))
    for reason in (IntentReason.BUNDLE_PURCHASE, IntentReason.LEARNER_STATED):
        row = {"lms_user_id": LEARNER, "program_uuid": program, "reason": reason, "certainty": YES}
        services.record_intents([{**row, "effective_timestamp": at(1)}])
    first, second = ProgramIntent.objects.order_by("id")
    assert first.created > second.created
    assert list(most_recent_and_certain(lms_user_id=LEARNER)) == rows(first)


@pytest.mark.django_db
def test_tie_on_timestamp_and_created_goes_to_the_larger_id():
    program = uuid.uuid4()
    # One batch is recorded with one `created`: only the id is left to decide.
    services.record_intents(
        {
            "lms_user_id": LEARNER,
            "program_uuid": program,
            "reason": reason,
            "certainty": YES,
            "effective_timestamp": at(1),
        }
        for reason in (IntentReason.BUNDLE_PURCHASE, IntentReason.LEARNER_STATED)
    )
    first, second = ProgramIntent.objects.order_by("id")
    assert first.created == second.created
    assert list(most_recent_and_certain(lms_user_id=LEARNER)) == rows(second)


@pytest.mark.django_db
def test_one_intent_per_program_newest_first_and_only_the_learners_own():
    older, newer = uuid.uuid4(), uuid.uuid4()
    a = ProgramIntentFactory(lms_user_id=LEARNER, program_uuid=older, effective_timestamp=at(1))
    ProgramIntentFactory(lms_user_id=LEARNER, program_uuid=older, effective_timestamp=at(0), certainty=NO)
    b = ProgramIntentFactory(lms_user_id=LEARNER, program_uuid=newer, effective_timestamp=at(30), certainty=MAYBE)
    ProgramIntentFactory(lms_user_id=LEARNER + 1, program_uuid=older, effective_timestamp=at(60))
    assert list(most_recent_and_certain(lms_user_id=LEARNER)) == rows(b, a)


@pytest.mark.django_db
def test_narrowed_to_given_programs():
    wanted, other = uuid.uuid4(), uuid.uuid4()
    a = ProgramIntentFactory(lms_user_id=LEARNER, program_uuid=wanted)
    ProgramIntentFactory(lms_user_id=LEARNER, program_uuid=other)
    assert list(most_recent_and_certain(lms_user_id=LEARNER, program_uuids=[str(wanted)])) == rows(a)
    assert list(most_recent_and_certain(lms_user_id=LEARNER, program_uuids=[])) == []


@pytest.mark.django_db
def test_a_learner_without_intents_gets_an_empty_list():
    ProgramIntentFactory(lms_user_id=LEARNER + 1)
    assert list(most_recent_and_certain(lms_user_id=LEARNER)) == []


@pytest.mark.django_db
@pytest.mark.parametrize("programs", [1, 200])
def test_query_count_does_not_grow_with_programs(programs, django_assert_num_queries):
    for _ in range(programs):
        program = uuid.uuid4()
        ProgramIntentFactory(lms_user_id=LEARNER, program_uuid=program, certainty=MAYBE)
        ProgramIntentFactory(lms_user_id=LEARNER, program_uuid=program, certainty=YES)
    with django_assert_num_queries(1):
        result = list(most_recent_and_certain(lms_user_id=LEARNER))
    assert len(result) == programs
    assert {intent.certainty for intent in result} == {YES}


PROGRAMS = [uuid.UUID(int=n) for n in range(1, 5)]
intent_specs = st.lists(
    st.tuples(
        st.sampled_from([LEARNER, LEARNER + 1]),
        st.sampled_from(PROGRAMS),
        st.sampled_from(IntentCertainty.values),
        st.sampled_from(IntentReason.values),
        st.integers(min_value=0, max_value=6),  # few distinct times, so ties are common
    ),
    max_size=25,
)


class TestAgainstOracle(HypothesisTestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(specs=intent_specs, narrow=st.none() | st.lists(st.sampled_from(PROGRAMS), max_size=3))
    def test_selector_matches_the_oracle(self, specs, narrow):
        seen = set()
        for learner, program, certainty, reason, minutes in specs:
            key = (learner, program, certainty, reason, minutes)
            if key in seen:  # the unique constraint allows each combination once
                continue
            seen.add(key)
            ProgramIntentFactory(
                lms_user_id=learner,
                program_uuid=program,
                certainty=certainty,
                reason=reason,
                effective_timestamp=at(minutes),
            )
        mine = ProgramIntent.objects.filter(lms_user_id=LEARNER)
        if narrow is not None:
            mine = mine.filter(program_uuid__in=narrow)
        expected = oracle(list(mine))
        assert list(most_recent_and_certain(lms_user_id=LEARNER, program_uuids=narrow)) == rows(*expected)
