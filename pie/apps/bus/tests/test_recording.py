"""``replay_failed_events`` (``bus.recording``): every kept event is tried, whatever one of them raises."""

import logging

import pytest
from django.core.management import CommandError, call_command

from pie.apps.bus.models import FailedEvent
from pie.apps.bus.tests.factories import BASE_TIME, FailedEventFactory
from pie.apps.intents.models import ProgramIntent


@pytest.mark.django_db
def test_the_replay_goes_on_past_events_that_fail_in_any_way_and_names_them(capsys, caplog):
    caplog.set_level(logging.INFO)
    # A course fact kept without its time (KeyError in its replay), one of a kind no app
    # declares (KeyError in the registry), then an intent that replays.
    broken = FailedEventFactory(kind="course_fact", values={"kind": "enrollment", "run_key": "course-v1:a+b+c"})
    unknown = FailedEventFactory(kind="gone")
    good = FailedEventFactory()
    with pytest.raises(CommandError, match="2 failed events still fail") as raised:
        call_command("replay_failed_events")
    assert raised.value.returncode == 1
    assert capsys.readouterr().out.strip() == (
        "Replayed failed events: 1 recorded, 0 already recorded, 2 still failing, 0 not due yet, "
        "0 forgotten (retired learners)"
    )
    assert ProgramIntent.objects.get(lms_user_id=good.lms_user_id).effective_timestamp == BASE_TIME
    assert set(FailedEvent.objects.values_list("event_id", flat=True)) == {broken.event_id, unknown.event_id}
    for failed in (broken, unknown):
        assert f"Failed event {failed.event_id} still fails: KeyError" in caplog.text
        assert "KeyError" in FailedEvent.objects.get(pk=failed.pk).error
