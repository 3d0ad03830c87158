"""The bus's read-only admin pages: kept events and the consumers' status, shown, never changed."""

import pytest
from django.urls import reverse

from pie.apps.bus.tests.factories import FailedEventFactory

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
