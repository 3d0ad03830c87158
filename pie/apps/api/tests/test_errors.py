"""The one error shape: every failure, inside DRF or not, answers JSON."""

from unittest import mock

import pytest
from rest_framework import exceptions
from rest_framework.test import APIClient

from pie.apps.api.errors import api_exception_handler
from pie.apps.api.tests.conftest import CREATE_URL
from pie.apps.intents.exceptions import InvalidIntentError

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status_code: int, error_code: str):
    assert response.status_code == status_code
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) <= {"detail", "error_code", "errors"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["error_code"] == error_code
    return body


@pytest.mark.parametrize("url", ["/no-such-page/", "/api/v1/program_intents/12/", "/api/v2/program_intents/"])
def test_unknown_urls_are_json_404s(url):
    assert_error_shape(APIClient().get(url), 404, "not_found")


def test_a_bad_host_header_is_a_json_400():
    assert_error_shape(APIClient().get("/health/", HTTP_HOST="evil.example.com"), 400, "bad_request")


@pytest.mark.urls("pie.apps.api.tests.failing_urls")
def test_a_failing_plain_django_view_is_a_json_500():
    client = APIClient(raise_request_exception=False)
    assert_error_shape(client.get("/fail/"), 500, "server_error")


def test_a_failing_api_view_is_a_json_500(learner, intent_body):
    learner.raise_request_exception = False
    with mock.patch("pie.apps.api.v1.views.services.record_intent", side_effect=RuntimeError("a bug")):
        response = learner.post(CREATE_URL, intent_body(), format="json")
    assert_error_shape(response, 500, "server_error")


def test_validation_errors_list_each_field():
    response = api_exception_handler(exceptions.ValidationError({"reason": ["Unknown reason."]}), {})
    assert response.status_code == 400
    assert response.data == {
        "detail": "The request is not valid; see errors for each field at fault.",
        "error_code": "invalid_request",
        "errors": {"reason": ["Unknown reason."]},
    }


def test_domain_validation_errors_become_400s_per_field():
    response = api_exception_handler(InvalidIntentError({"certainty": "Unknown certainty."}), {})
    assert response.status_code == 400
    assert response.data["errors"] == {"certainty": ["Unknown certainty."]}


def test_errors_not_about_a_field_are_listed_as_non_field_errors():
    response = api_exception_handler(exceptions.ValidationError(["The body must be an object."]), {})
    assert response.data["errors"] == {"non_field_errors": ["The body must be an object."]}


def test_an_explicit_code_on_a_drf_error_becomes_the_error_code():
    response = api_exception_handler(exceptions.PermissionDenied("No.", code="custom_reason"), {})
    assert (response.status_code, response.data) == (403, {"detail": "No.", "error_code": "custom_reason"})


def test_unexpected_exceptions_are_left_to_the_500_handler():
    assert api_exception_handler(RuntimeError("a bug"), {}) is None
