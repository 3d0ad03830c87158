"""A learner's writes are throttled; staff, services and reads are not."""

import json
import uuid

import pytest
import redis
from django.core.cache import cache

from pie.apps.intents.models import ProgramIntent
from pie.tests.sockets import SilentServer, closed_port
from pie.tests.support.api_clients import CREATE_URL, LIST_URL

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


REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture
def cache_at(settings):
    """
    Point the default cache at a Redis URL, under a key prefix of the test's own (Django
    makes the cache again when CACHES changes); the test's keys are deleted after it.
    """
    original = settings.CACHES
    prefix = f"pie-ops-test-{uuid.uuid4().hex[:12]}"

    def point(url: str) -> None:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": prefix,
                "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
            }
        }

    yield point
    settings.CACHES = original
    client = redis.Redis.from_url(REDIS, socket_connect_timeout=1)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_the_throttle_counts_in_the_real_redis(cache_at, learner, intent_body):
    cache_at(REDIS)
    assert [post(learner, intent_body).status_code for _ in range(4)] == [201, 201, 201, 429]


@pytest.mark.parametrize("outage", ["refused", "silent"])
def test_a_cache_that_does_not_answer_lets_learners_write_unthrottled(
    cache_at, learner, intent_body, recorded_attributes, caplog, outage
):
    with SilentServer() as silent:
        cache_at(f"redis://127.0.0.1:{closed_port() if outage == 'refused' else silent.port}/0")
        statuses = [post(learner, intent_body).status_code for _ in range(4)]

    assert statuses == [201, 201, 201, 201]  # fail open: never a 500, nor a 429 nobody counted
    assert ProgramIntent.objects.count() == 4
    assert recorded_attributes["pie_learner_write_throttle_failed_open"] is True
    warnings = [record for record in caplog.records if "write throttle" in record.getMessage()]
    assert len(warnings) == 4
    assert {record.levelname for record in warnings} == {"WARNING"}
