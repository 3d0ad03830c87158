"""The program reads: the read rule per learner of one program, and a learner's history of one program."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from pie.apps.intents import selectors, services
from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.selectors import IntentRow
from pie.apps.intents.tests.factories import BASE_TIME, ProgramIntentFactory
from pie.apps.intents.tests.oracle import current_intents, newest_first_key

YES, NO, MAYBE = IntentCertainty.CERTAIN_YES, IntentCertainty.CERTAIN_NO, IntentCertainty.MAYBE
PROGRAM, OTHER = uuid.UUID(int=0xA), uuid.UUID(int=0xB)
LEARNERS = list(range(1, 13))


def at(minutes):
    return BASE_TIME + timedelta(minutes=minutes)


def row(intent) -> IntentRow:
    """An intent as the selectors return it, read back through the ORM."""
    return IntentRow(*ProgramIntent.objects.values_list(*IntentRow._fields).get(pk=intent.pk))


intent = st.tuples(
    st.sampled_from(LEARNERS),
    st.sampled_from([PROGRAM, OTHER]),
    st.sampled_from(IntentCertainty.values),
    st.sampled_from(IntentReason.values),
    st.integers(min_value=0, max_value=6),  # few distinct times, so ties are common
)
# Batches: the intents of one batch share their `created`, so the id breaks ties too.
batches = st.lists(st.lists(intent, max_size=8), max_size=4)


def record(batch) -> None:
    services.record_intents(
        {
            "lms_user_id": learner,
            "program_uuid": program,
            "certainty": certainty,
            "reason": reason,
            "effective_timestamp": at(minutes),
        }
        for learner, program, certainty, reason, minutes in batch
    )


def walk(*, recorded_by, limit, between=(), **filters) -> list[IntentRow]:
    """Every page of the program's learners, forwards, recording a batch of ``between`` after each page."""
    pending, listed, after = list(between), [], None
    while True:
        page, more = selectors.program_learners(
            program_uuid=PROGRAM, recorded_by=recorded_by, after=after, limit=limit, **filters
        )
        assert len(page) <= limit
        listed.extend(page)
        if pending:
            record(pending.pop(0))
        if not more:
            return listed
        after = page[-1].lms_user_id


class TestAgainstTheOracle(HypothesisTestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(batches=batches, as_of=st.none() | st.integers(min_value=-1, max_value=7))
    def test_engagement_counts_each_learner_by_their_current_intent(self, batches, as_of):
        for batch in batches:
            record(batch)
        when = None if as_of is None else at(as_of)
        rows = ProgramIntent.objects.filter(program_uuid=PROGRAM)
        if when is not None:
            rows = rows.filter(effective_timestamp__lte=when)
        current = current_intents(list(rows), per="lms_user_id").values()

        counts = selectors.program_engagement(program_uuid=PROGRAM, as_of=when)

        assert counts.learners == len(current)
        assert counts.by_certainty == {c: sum(i.certainty == c for i in current) for c in IntentCertainty.values}
        assert counts.by_reason == {r: sum(i.reason == r for i in current) for r in IntentReason.values}

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        batches=batches,
        between=batches,
        limit=st.integers(min_value=1, max_value=4),
        certainties=st.lists(st.sampled_from(IntentCertainty.values), max_size=2),
        reasons=st.lists(st.sampled_from(IntentReason.values), max_size=2),
    )
    def test_a_walk_lists_each_learner_once_as_of_its_start_while_intents_arrive(
        self, batches, between, limit, certainties, reasons
    ):
        for batch in batches:
            record(batch)
        started = timezone.now()

        listed = walk(recorded_by=started, limit=limit, between=between, certainties=certainties, reasons=reasons)

        existing = ProgramIntent.objects.filter(program_uuid=PROGRAM, created__lte=started)
        current = current_intents(list(existing), per="lms_user_id")
        expected = [
            row(current[learner])
            for learner in sorted(current)
            if (not certainties or current[learner].certainty in certainties)
            and (not reasons or current[learner].reason in reasons)
        ]
        assert listed == expected  # in learner order: none twice, none skipped

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        batches=batches,
        before=st.integers(min_value=1, max_value=14),
        limit=st.integers(min_value=1, max_value=4),
        certainties=st.lists(st.sampled_from(IntentCertainty.values), max_size=2),
    )
    def test_a_page_backwards_is_the_last_learners_before_one(self, batches, before, limit, certainties):
        for batch in batches:
            record(batch)
        current = current_intents(list(ProgramIntent.objects.filter(program_uuid=PROGRAM)), per="lms_user_id")
        matching = [
            learner
            for learner in sorted(current)
            if learner < before and (not certainties or current[learner].certainty in certainties)
        ]

        page, more = selectors.program_learners(
            program_uuid=PROGRAM, recorded_by=timezone.now(), certainties=certainties, before=before, limit=limit
        )

        assert page == [row(current[learner]) for learner in matching[-limit:]]
        assert more == (len(matching) > limit)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(batches=batches, limit=st.integers(min_value=1, max_value=5))
    def test_the_history_pages_are_every_intent_newest_first(self, batches, limit):
        for batch in batches:
            record(batch)
        started = timezone.now()
        learner = LEARNERS[0]
        pages, after = [], None
        while True:
            page, more = selectors.program_history(
                lms_user_id=learner, program_uuid=PROGRAM, recorded_by=started, after=after, limit=limit
            )
            pages.append(page)
            # An intent recorded while paging is not in this walk.
            ProgramIntentFactory(lms_user_id=learner, program_uuid=PROGRAM, effective_timestamp=at(100 + len(pages)))
            if not more:
                break
            after = (page[-1].effective_timestamp, page[-1].created, page[-1].id)
        mine = ProgramIntent.objects.filter(lms_user_id=learner, program_uuid=PROGRAM, created__lte=started)
        expected = [row(i) for i in sorted(mine, key=newest_first_key, reverse=True)]
        assert [r for page in pages for r in page] == expected
        # And backwards from the end, the same pages.
        if len(pages) > 1:
            last = pages[-1][0]
            back, more = selectors.program_history(
                lms_user_id=learner,
                program_uuid=PROGRAM,
                recorded_by=started,
                before=(last.effective_timestamp, last.created, last.id),
                limit=limit,
            )
            assert back == pages[-2]
            assert more == (len(pages) > 2)


@pytest.mark.django_db
def test_the_learners_rule_is_the_learners_get_rule():
    # A learner whose current intent is a MAYBE is not listed under CERTAIN_YES for an older one.
    ProgramIntentFactory(lms_user_id=1, program_uuid=PROGRAM, certainty=YES, effective_timestamp=at(0))
    ProgramIntentFactory(lms_user_id=1, program_uuid=PROGRAM, certainty=NO, effective_timestamp=at(5))
    ProgramIntentFactory(lms_user_id=1, program_uuid=PROGRAM, certainty=MAYBE, effective_timestamp=at(9))
    ProgramIntentFactory(lms_user_id=2, program_uuid=PROGRAM, certainty=YES, effective_timestamp=at(1))
    ProgramIntentFactory(lms_user_id=2, program_uuid=PROGRAM, certainty=MAYBE, effective_timestamp=at(8))
    now = timezone.now()

    yes, _ = selectors.program_learners(program_uuid=PROGRAM, recorded_by=now, certainties=[YES], limit=10)
    every, _ = selectors.program_learners(program_uuid=PROGRAM, recorded_by=now, limit=10)

    assert [(r.lms_user_id, r.certainty) for r in every] == [(1, NO), (2, YES)]
    assert [r.lms_user_id for r in yes] == [2]
    for r in every:
        (learners_own,) = selectors.most_recent_and_certain(lms_user_id=r.lms_user_id, program_uuids=[PROGRAM])
        assert learners_own == r


@pytest.mark.django_db
def test_engagement_as_of_counts_a_backfill_of_older_intents():
    ProgramIntentFactory(lms_user_id=1, program_uuid=PROGRAM, certainty=MAYBE, effective_timestamp=at(0))
    before = selectors.program_engagement(program_uuid=PROGRAM, as_of=at(5))
    ProgramIntentFactory(lms_user_id=1, program_uuid=PROGRAM, certainty=YES, effective_timestamp=at(2))
    ProgramIntentFactory(lms_user_id=2, program_uuid=PROGRAM, certainty=NO, effective_timestamp=at(3))
    ProgramIntentFactory(lms_user_id=3, program_uuid=PROGRAM, certainty=YES, effective_timestamp=at(6))

    after = selectors.program_engagement(program_uuid=PROGRAM, as_of=at(5))

    assert (before.learners, before.by_certainty) == (1, {YES: 0, NO: 0, MAYBE: 1})
    assert (after.learners, after.by_certainty) == (2, {YES: 1, NO: 1, MAYBE: 0})
    assert selectors.program_engagement(program_uuid=PROGRAM).learners == 3


@pytest.mark.django_db
def test_a_retired_learner_is_in_no_count_and_no_list():
    for learner in (1, 2):
        ProgramIntentFactory(lms_user_id=learner, program_uuid=PROGRAM, certainty=YES)
    services.retire_learner(lms_user_id=1)

    counts = selectors.program_engagement(program_uuid=PROGRAM)
    listed, _ = selectors.program_learners(program_uuid=PROGRAM, recorded_by=timezone.now(), limit=10)

    assert counts.learners == 1
    assert counts.by_certainty[YES] == 1
    assert [r.lms_user_id for r in listed] == [2]


@pytest.mark.django_db
def test_an_empty_program_has_every_count_at_zero():
    counts = selectors.program_engagement(program_uuid=PROGRAM)
    assert counts.learners == 0
    assert set(counts.by_certainty) == set(IntentCertainty.values)
    assert not any(counts.by_certainty.values())
    assert set(counts.by_reason) == set(IntentReason.values)
    assert not any(counts.by_reason.values())


@pytest.mark.django_db
@pytest.mark.parametrize("learners", [5, 60])
def test_queries_of_a_page_do_not_grow_with_the_program(learners, django_assert_max_num_queries):
    for learner in range(1, learners + 1):
        ProgramIntentFactory(lms_user_id=learner, program_uuid=PROGRAM, certainty=MAYBE)
        ProgramIntentFactory(lms_user_id=learner, program_uuid=PROGRAM, certainty=YES)
    now = timezone.now()
    with django_assert_max_num_queries(1):
        selectors.program_engagement(program_uuid=PROGRAM)
    with django_assert_max_num_queries(2):
        page, _ = selectors.program_learners(program_uuid=PROGRAM, recorded_by=now, after=2, limit=3)
    assert [r.lms_user_id for r in page] == [3, 4, 5]
    with django_assert_max_num_queries(1):
        selectors.program_history(lms_user_id=1, program_uuid=PROGRAM, recorded_by=now, limit=3)


@pytest.mark.django_db
def test_a_filter_that_matches_few_looks_further_in_doubling_steps(django_assert_max_num_queries):
    for learner in range(1, 200):
        ProgramIntentFactory(lms_user_id=learner, program_uuid=PROGRAM, certainty=NO if learner == 190 else YES)
    # Steps of 2, 4, 8, ... learners: 8 steps reach learner 190, two queries each.
    with django_assert_max_num_queries(16):
        page, more = selectors.program_learners(
            program_uuid=PROGRAM, recorded_by=timezone.now(), certainties=[NO], limit=1
        )
    assert [r.lms_user_id for r in page] == [190]
    assert not more
