"""GET /health/: is the database answering? And, said in the body only, the cache?"""

import time
from unittest import mock

import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIClient

from pie.tests.sockets import SilentServer, closed_port

pytestmark = pytest.mark.django_db


def body(database: str, cache: str) -> dict:
    """The state fields: PIE's own and Open edX's."""
    return {
        "status": database,
        "cache": cache,
        "overall_status": database,
        "detailed_status": {"database_status": database, "cache_status": cache},
    }


@pytest.fixture
def cache_at(settings):
    """Point the default cache at a Redis URL, with the short timeouts production gives it."""

    def point(url: str) -> None:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
            }
        }

    return point


@pytest.mark.parametrize("url", ["/health/", "/health"])
def test_healthy_is_200_ok(url):
    response = APIClient().get(url)
    assert response.status_code == 200
    assert response.json() == body("OK", "OK")


def test_the_real_redis_answering_is_ok(cache_at):
    cache_at("redis://127.0.0.1:6379/0")
    assert APIClient().get("/health/").json() == body("OK", "OK")


@pytest.mark.parametrize("outage", ["refused", "silent"])
def test_a_cache_that_does_not_answer_is_still_200_and_named_in_the_body(cache_at, outage):
    with SilentServer() as silent:
        cache_at(f"redis://127.0.0.1:{closed_port() if outage == 'refused' else silent.port}/0")
        started = time.monotonic()
        response = APIClient().get("/health/")
        took = time.monotonic() - started
    assert response.status_code == 200  # a load balancer must not pull every instance for the cache
    assert response.json() == body("OK", "UNAVAILABLE")
    assert took < 5  # the cache's socket timeouts bound it (redis-py's own default is 5 s)


def test_no_credentials_are_needed_even_bad_ones():
    response = APIClient(HTTP_AUTHORIZATION="JWT not-a-token").get("/health/")
    assert response.status_code == 200


def test_a_database_that_does_not_answer_is_503_in_the_error_shape():
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("gone away")):
        response = APIClient().get("/health/")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "The database does not answer for now; try again in a moment.",
        "error_code": "database_unavailable",
        **body("UNAVAILABLE", "OK"),
    }


def test_only_get_and_head_are_allowed():
    assert APIClient().head("/health/").status_code == 200
    response = APIClient().post("/health/")
    assert response.status_code == 405
    assert response.json()["error_code"] == "method_not_allowed"


def test_the_cache_is_asked_once_a_second_not_once_a_probe(cache_at, settings, caplog):
    # A refused cache logs one warning each time it is asked.
    cache_at(f"redis://127.0.0.1:{closed_port()}/0")
    settings.PIE_HEALTH_CACHE_CHECK_SECONDS = 60
    for _ in range(3):
        assert APIClient().get("/health/").json()["cache"] == "UNAVAILABLE"
    assert caplog.text.count("The cache does not answer") == 1
    settings.PIE_HEALTH_CACHE_CHECK_SECONDS = 0
    caplog.clear()
    for _ in range(2):
        APIClient().get("/health/")
    assert caplog.text.count("The cache does not answer") == 2
