"""Fixtures of the tests that call the API: clients carrying real tokens, minted as the LMS would."""

import uuid

import pytest
from rest_framework.test import APIClient

from pie.apps.api.tests.telemetry import RecordingBackend
from pie.apps.core.tokens import mint_lms_jwt

CREATE_URL = "/api/v1/program_intents/"
LIST_URL = "/api/v1/program_intents/most_recent_and_certain/"


@pytest.fixture
def client_with_token():
    """Return a function: token -> an APIClient sending ``Authorization: JWT <token>``."""

    def make(token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"JWT {token}")
        return client

    return make


@pytest.fixture
def learner_client(client_with_token):
    """Return a function: lms_user_id -> a client for that learner (a token from mint_lms_jwt)."""

    def make(lms_user_id: int = 7, **claims) -> APIClient:
        return client_with_token(mint_lms_jwt(lms_user_id=lms_user_id, username=f"learner{lms_user_id}", **claims))

    return make


@pytest.fixture
def learner(learner_client):
    """A client for learner 7."""
    return learner_client(7)


@pytest.fixture
def staff(client_with_token):
    """A client for a backend service user (LMS user 900) whose token says administrator."""
    return client_with_token(mint_lms_jwt(lms_user_id=900, username="service_worker", administrator=True))


@pytest.fixture
def intent_body():
    """Return a function building a valid POST body; keyword arguments replace or add fields."""

    def make(**fields) -> dict:
        return {
            "program_uuid": str(uuid.UUID(int=1)),
            "reason": "BUNDLE_PURCHASE",
            "certainty": "CERTAIN_YES",
            "effective_timestamp": "2024-01-01T00:00:00Z",
            **fields,
        }

    return make


@pytest.fixture
def recorded_attributes(settings):
    """The custom monitoring attributes the request under test sets."""
    settings.OPENEDX_TELEMETRY = ["pie.apps.api.tests.telemetry.RecordingBackend"]
    RecordingBackend.attributes = {}
    return RecordingBackend.attributes
