"""
Property-based tests of the API against its own OpenAPI schema (schemathesis).

For every operation, schemathesis generates valid and invalid requests (a bounded number
of examples), sends them through the WSGI application with a staff and with a learner
token, and checks that no answer is a 5xx, that every status code, content type and body
is one the schema documents, that invalid data is refused, that unsupported methods get
405, and that the operation refuses a request without credentials.

The bulk endpoint answers a schema-violating item with a 200 that lists it in
``rejected``, by contract (a bad item never stops the good ones): for it,
``negative_data_rejection`` gives way to ``bulk_rejects_negative_data``.
"""

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from pie.apps.core.tokens import mint_lms_jwt

MAX_EXAMPLES = 40

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    unsupported_method,
    ignored_auth,
]
BULK_PATH = "/api/v1/program_intents/bulk/"


@schemathesis.check
def bulk_rejects_negative_data(ctx, response, case):
    """A schema-violating bulk body is refused (4xx), or answered 200 with the bad items in ``rejected``."""
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    # Other checks send requests of their own (OPTIONS, no credentials): only the case's POST is judged.
    if not negative or response.request.method != "POST" or response.status_code != 200:
        return None
    assert response.json()["rejected"], "A schema-violating bulk body was accepted with no item rejected"
    return None


BULK_CHECKS = [check for check in CHECKS if check is not negative_data_rejection] + [bulk_rejects_negative_data]


@pytest.fixture
def keep_the_test_connection():
    """
    Keep the test's database connection open across the WSGI requests.

    schemathesis calls Django's WSGI handler directly, whose request signals close "old"
    connections; on MySQL that closes the connection holding the test's transaction.
    Django's own test client disconnects the same receivers.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["staff", "learner"])
def token(request, db, keep_the_test_connection) -> str:
    # Staff, so that generated lms_user_id values reach the domain's rules; a learner,
    # so that naming someone else is refused as documented.
    return mint_lms_jwt(lms_user_id=900, username=request.param, administrator=request.param == "staff")


@pytest.mark.django_db
@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow],
)
def test_the_api_keeps_its_schema(case, token):
    checks = BULK_CHECKS if case.path == BULK_PATH else CHECKS
    case.call_and_validate(headers={"Authorization": f"JWT {token}"}, checks=checks)


def test_every_read_is_among_the_operations_tested():
    operations = {(result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()}
    assert {
        ("GET", "/api/v1/program_intents/"),
        ("GET", "/api/v1/programs/{program_uuid}/engagement/"),
        ("GET", "/api/v1/programs/{program_uuid}/learners/"),
    } <= operations
