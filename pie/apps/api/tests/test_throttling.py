"""A learner's writes are throttled; staff, services and reads are not."""

import json
import uuid

import pytest
from django.core.cache import cache

from pie.apps.api.tests.conftest import CREATE_URL, LIST_URL
from pie.apps.intents.models import ProgramIntent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_writes_an_hour(settings):
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"learner_write": "3/hour"}}
    yield
    cache.clear()


def post(client, intent_body, **fields):
    body = intent_body(program_uuid=str(uuid.uuid4()), **fields)
    return client.post(CREATE_URL, json.dumps(body), content_type="application/json")


def test_a_learner_over_the_rate_gets_429_with_retry_after_and_writes_nothing(learner, learner_client, intent_body):
    assert [post(learner, intent_body).status_code for _ in range(3)] == [201, 201, 201]
    response = post(learner, intent_body)
    assert response.status_code == 429
    assert response.json()["error_code"] == "throttled"
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert ProgramIntent.objects.count() == 3
    # Another learner has a count of their own, and reads are not throttled.
    assert post(learner_client(8), intent_body).status_code == 201
    assert learner.get(LIST_URL).status_code == 200


def test_staff_writing_for_learners_are_not_throttled(staff, intent_body):
    assert {post(staff, intent_body, lms_user_id=n).status_code for n in range(1, 8)} == {201}


def test_without_a_rate_nothing_is_throttled(settings, learner, intent_body):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"learner_write": None}}
    assert {post(learner, intent_body).status_code for _ in range(6)} == {201}
