"""The read-only admin for intents."""

import uuid

import pytest
from django.urls import reverse

from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.tests.factories import ProgramIntentFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:intents_programintent_changelist"


@pytest.fixture
def admin_client_(client, django_user_model):
    admin = django_user_model.objects.create_superuser("operator", "operator@example.com", "pw")
    client.force_login(admin)
    return client


def test_lists_intents(admin_client_):
    intent = ProgramIntentFactory()
    response = admin_client_.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert str(intent.program_uuid) in response.content.decode()


def test_cannot_add_change_or_delete(admin_client_):
    intent = ProgramIntentFactory(certainty=IntentCertainty.MAYBE)
    assert admin_client_.get(reverse("admin:intents_programintent_add")).status_code == 403
    change_url = reverse("admin:intents_programintent_change", args=[intent.pk])
    page = admin_client_.get(change_url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # a view-only page
    assert admin_client_.post(change_url, {"certainty": "CERTAIN_NO"}).status_code == 403
    delete_url = reverse("admin:intents_programintent_delete", args=[intent.pk])
    assert admin_client_.post(delete_url, {"post": "yes"}).status_code == 403
    bulk_delete = admin_client_.post(
        reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [intent.pk], "post": "yes"}
    )
    assert bulk_delete.status_code in (200, 302)
    assert ProgramIntent.objects.get(pk=intent.pk).certainty == IntentCertainty.MAYBE


def ids_listed(response):
    return {intent.pk for intent in response.context["cl"].result_list}


def test_search_by_lms_user_id_and_by_program_uuid(admin_client_):
    mine = ProgramIntentFactory(lms_user_id=77)
    other = ProgramIntentFactory(lms_user_id=78)
    assert ids_listed(admin_client_.get(reverse(CHANGELIST), {"q": "77"})) == {mine.pk}
    assert ids_listed(admin_client_.get(reverse(CHANGELIST), {"q": str(other.program_uuid)})) == {other.pk}
    assert ids_listed(admin_client_.get(reverse(CHANGELIST), {"q": str(uuid.uuid4())})) == set()
    assert ids_listed(admin_client_.get(reverse(CHANGELIST), {"q": "no such thing"})) == set()


@pytest.mark.parametrize("term", ["²", "7²", "99999999999999999999", "-77", "+77", "7_7"])
def test_search_terms_that_are_not_an_lms_user_id_find_nothing(admin_client_, term):
    ProgramIntentFactory(lms_user_id=77)
    response = admin_client_.get(reverse(CHANGELIST), {"q": term})
    assert response.status_code == 200
    assert ids_listed(response) == set()


def test_lists_the_newest_first(admin_client_):
    older, newer = ProgramIntentFactory(), ProgramIntentFactory()
    response = admin_client_.get(reverse(CHANGELIST))
    assert [intent.pk for intent in response.context["cl"].result_list] == [newer.pk, older.pk]


def test_filters_by_reason_and_certainty(admin_client_):
    maybe = ProgramIntentFactory(certainty=IntentCertainty.MAYBE, reason=IntentReason.ENROLLED_ALL_COURSES)
    ProgramIntentFactory(certainty=IntentCertainty.CERTAIN_YES, reason=IntentReason.BUNDLE_PURCHASE)
    assert ids_listed(admin_client_.get(reverse(CHANGELIST), {"certainty__exact": "MAYBE"})) == {maybe.pk}
    assert ids_listed(admin_client_.get(reverse(CHANGELIST), {"reason__exact": "ENROLLED_ALL_COURSES"})) == {maybe.pk}


def test_an_intents_page_shows_readable_labels_its_codes_beside_the_words_and_when_it_was_recorded(admin_client_):
    intent = ProgramIntentFactory(reason=IntentReason.ENROLLED_ALL_COURSES, certainty=IntentCertainty.MAYBE)
    page = admin_client_.get(reverse("admin:intents_programintent_change", args=[intent.pk])).content.decode()
    assert "LMS user ID:" in page
    assert "Program UUID:" in page
    assert "Lms user id" not in page
    # The codes the API and the CSV write, each with its words.
    assert (
        '<code>ENROLLED_ALL_COURSES</code><br><span class="help">Enrolled in all of the program&#x27;s courses</span>'
        in page
    )
    assert "<code>MAYBE</code>" in page
    assert "Created:" in page
    assert "When PIE recorded the intent." in page
    listing = admin_client_.get(reverse(CHANGELIST)).content.decode()
    assert "<code>ENROLLED_ALL_COURSES</code>" in listing
    assert "LMS user ID" in listing


def test_the_admin_is_pies_and_view_site_leads_to_the_api_docs(admin_client_):
    page = admin_client_.get(reverse("admin:index")).content.decode()
    assert "<title>Site administration | PIE administration</title>" in page
    assert "PIE administration</a></div>" in page  # the header
    assert "Django administration" not in page
    assert '<a href="/api-docs">View site</a> /' in page
    assert admin_client_.get("/api-docs").status_code == 200
