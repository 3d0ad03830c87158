"""The bus's admin pages: kept events and the consumers' status, shown, never changed; the replay action."""

import logging

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from pie.apps.bus.models import FailedEvent
from pie.apps.bus.tests.factories import FailedEventFactory
from pie.apps.intents.models import ProgramIntent

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("operator", "operator@example.com", "pw"))
    return client


def test_the_kept_events_are_listed_and_cannot_be_changed(operator):
    kept = FailedEventFactory(lms_user_id=77)
    listing = operator.get(reverse("admin:bus_failedevent_changelist"))
    assert listing.status_code == 200
    assert str(kept.event_type) in listing.content.decode()
    assert operator.get(reverse("admin:bus_failedevent_add")).status_code == 403
    delete_url = reverse("admin:bus_failedevent_delete", args=[kept.pk])
    assert operator.post(delete_url, {"post": "yes"}).status_code == 403
    assert operator.get(reverse("admin:bus_eventhandlingstatus_changelist")).status_code == 200


def staff_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user("staff", "staff@example.com", "pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="bus", codename__in=codenames))
    return user


def replay(client, *events):
    return client.post(
        reverse("admin:bus_failedevent_changelist"),
        {"action": "replay_selected", "_selected_action": [event.pk for event in events]},
        follow=True,
    )


def test_staff_without_the_replay_permission_see_no_replay_action_and_cannot_run_it(client, django_user_model):
    kept = FailedEventFactory(lms_user_id=78)
    client.force_login(staff_with(django_user_model, "view_failedevent"))
    listing = client.get(reverse("admin:bus_failedevent_changelist")).content.decode()
    assert "replay_selected" not in listing
    response = replay(client, kept)
    assert response.status_code == 200
    assert FailedEvent.objects.filter(pk=kept.pk).exists()
    assert not ProgramIntent.objects.exists()


def test_the_replay_action_replays_the_selected_rows_and_logs_who_did_it(client, django_user_model, caplog):
    chosen, other = FailedEventFactory(lms_user_id=79), FailedEventFactory(lms_user_id=80)
    staff = staff_with(django_user_model, "view_failedevent", "replay_failedevent")
    client.force_login(staff)
    assert "replay_selected" in client.get(reverse("admin:bus_failedevent_changelist")).content.decode()

    with caplog.at_level(logging.INFO, logger="pie.apps.bus.admin"):
        response = replay(client, chosen)

    assert "Replayed 1 failed event(s): 1 recorded, 0 already recorded, 0 still failing" in response.content.decode()
    assert list(FailedEvent.objects.values_list("pk", flat=True)) == [other.pk]
    assert list(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [79]
    assert f"Staff user {staff.pk} replayed failed events [{chosen.pk}] from the admin: 1 recorded" in caplog.text
    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.object_id) == (staff.pk, str(chosen.pk))
    assert entry.change_message.startswith("Replayed from the admin (1 recorded")


def test_a_replay_that_still_fails_keeps_the_row_and_says_so(client, django_user_model):
    broken = FailedEventFactory(lms_user_id=81, values={"program_uuid": "not a uuid"})
    client.force_login(staff_with(django_user_model, "view_failedevent", "replay_failedevent"))
    response = replay(client, broken)
    assert "0 recorded, 0 already recorded, 1 still failing" in response.content.decode()
    assert FailedEvent.objects.filter(pk=broken.pk).exists()
