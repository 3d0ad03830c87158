"""GET /health/: is the database answering?"""

from unittest import mock

import pytest
from django.db import OperationalError, connection
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/health/", "/health"])
def test_healthy_is_200_ok(url):
    response = APIClient().get(url)
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}


def test_no_credentials_are_needed_even_bad_ones():
    response = APIClient(HTTP_AUTHORIZATION="JWT not-a-token").get("/health/")
    assert response.status_code == 200


def test_a_database_that_does_not_answer_is_503_unavailable():
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("gone away")):
        response = APIClient().get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "UNAVAILABLE"}


def test_only_get_and_head_are_allowed():
    assert APIClient().head("/health/").status_code == 200
    response = APIClient().post("/health/")
    assert response.status_code == 405
    assert response.json()["error_code"] == "method_not_allowed"
