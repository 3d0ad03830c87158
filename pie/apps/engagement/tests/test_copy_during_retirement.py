"""``copy_catalog`` while a retirement is under way: the copy finishes, the retired learner gets nothing."""

import io
import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from pie.apps.catalog.tests.discovery import StandInDiscovery, program
from pie.apps.core import retirement
from pie.apps.engagement import services
from pie.apps.intents.models import ProgramIntent

PROGRAM = uuid.UUID(int=21, version=4)
A, B = "course-v1:edX+A+1T2026", "course-v1:edX+B+1T2026"
RETIRING, OTHER = 81, 82


@pytest.fixture
def discovery(settings):
    stand_in = StandInDiscovery([program(PROGRAM, courses={"edX+A": [A]})]).start()
    for name, value in stand_in.settings().items():
        setattr(settings, name, value)
    yield stand_in
    stand_in.stop()


def copy() -> str:
    out = io.StringIO()
    call_command("copy_catalog", stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_a_copy_that_re_evaluates_a_learner_being_retired_finishes_and_records_the_others(
    discovery, django_capture_on_commit_callbacks
):
    copy()
    for learner in (RETIRING, OTHER):
        services.record_enrollment(
            lms_user_id=learner, run_key=B, is_active=True, mode="audit", at=datetime(2026, 2, 1, tzinfo=UTC)
        )
    assert not ProgramIntent.objects.exists()
    # Retirement's first transaction is committed (the learner is refused from now on); its
    # deletion has not run yet.
    retirement.mark_retired(RETIRING)
    discovery.programs = [program(PROGRAM, courses={"edX+B": [B]})]
    with django_capture_on_commit_callbacks(execute=True):  # the re-evaluation runs once the copy commits
        out = copy()
    assert "1 changed" in out
    # The new composition is a completion for both; the other learner's is recorded, the
    # learner being retired is skipped, and the copy does not fail on them.
    assert list(ProgramIntent.objects.values_list("lms_user_id", "reason")) == [(OTHER, "ENROLLED_ALL_COURSES")]
