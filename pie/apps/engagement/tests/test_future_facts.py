"""``manage.py forget_future_facts``: the facts dated beyond the clock skew that PIE stored before it refused them."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from pie.apps.engagement.models import CourseFact

A = "course-v1:edX+A+1T2026"


def forget(*args) -> list[str]:
    out = io.StringIO()
    call_command("forget_future_facts", *args, stdout=out)
    return out.getvalue().strip().splitlines()


@pytest.mark.django_db
def test_it_deletes_the_facts_dated_beyond_the_skew_says_which_and_can_run_again():
    now = datetime.now(UTC)
    fact = {"run_key": A, "kind": "enrollment", "active": True}
    CourseFact.objects.create(lms_user_id=1, time=datetime(9999, 12, 31, tzinfo=UTC), **fact)
    CourseFact.objects.create(lms_user_id=2, time=now + timedelta(hours=1), **fact)
    CourseFact.objects.create(lms_user_id=2, time=now + timedelta(seconds=60), **fact)  # within the skew: kept
    CourseFact.objects.create(lms_user_id=3, time=datetime(2025, 1, 1, tzinfo=UTC), **fact)
    dry = forget("--dry-run")
    assert dry[-1] == "Would delete 2 course facts dated beyond the clock skew (dry run: nothing was deleted)."
    assert dry[0].startswith(f"learner 1 in {A}: enrollment True at 9999-12-31 00:00:00")
    assert CourseFact.objects.count() == 4
    lines = forget()
    assert lines[:-1] == dry[:-1]
    assert lines[-1] == "Deleted 2 course facts dated beyond the clock skew."
    assert sorted(CourseFact.objects.values_list("lms_user_id", flat=True)) == [2, 3]
    assert forget() == ["Deleted 0 course facts dated beyond the clock skew."]
