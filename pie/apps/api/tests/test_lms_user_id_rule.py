"""
The one rule of an LMS user id at every door of the API (``pie.apps.core.lms.parse_lms_user_id``):
a JSON integer, or a text of ASCII digits (leading zeros allowed, at most 10, in range); no
sign, white space, underscores, other digits or fractions.
"""

import json

import pytest

from pie.apps.core.models import RetiredLearner
from pie.apps.core.tokens import mint_lms_jwt
from pie.apps.intents.models import ProgramIntent
from pie.tests.support.api_clients import CREATE_URL, LIST_URL

pytestmark = pytest.mark.django_db

# Arabic-Indic digits, a fraction, eleven digits, JSON's true and null among them.
REFUSED = ["83_00", " 70 ", "70 ", "+72", "-7", "8_302", "\u0667\u0660", "70.0", 70.0, "1e3", "", "00000000070"]
REFUSED += [True, None]
ACCEPTED = [(70, 70), ("70", 70), ("0070", 70), ("2147483647", 2147483647)]


@pytest.fixture
def worker(client_with_token, settings):
    return client_with_token(mint_lms_jwt(lms_user_id=901, username=settings.RETIREMENT_SERVICE_WORKER_USERNAME))


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("value", REFUSED)
def test_the_single_create_refuses_an_odd_id(staff, intent_body, value):
    response = post(staff, CREATE_URL, intent_body(lms_user_id=value))
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"lms_user_id"}
    assert not ProgramIntent.objects.exists()


@pytest.mark.parametrize(("value", "stored"), ACCEPTED)
def test_the_single_create_accepts_an_integer_or_digits(staff, intent_body, value, stored):
    assert post(staff, CREATE_URL, intent_body(lms_user_id=value)).status_code == 201
    assert ProgramIntent.objects.get().lms_user_id == stored


@pytest.mark.parametrize("value", [value for value in REFUSED if isinstance(value, str) and value])
def test_the_query_parameter_refuses_an_odd_id(staff, value):
    response = staff.get(LIST_URL, {"lms_user_id": value})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"lms_user_id"}


@pytest.mark.parametrize("value", REFUSED)
def test_retirement_refuses_an_odd_id_and_retires_no_one(worker, value):
    response = post(worker, "/api/v1/retire_user/", {"lms_user_id": value, "original_username": "x"})
    assert response.status_code == 400
    assert not RetiredLearner.objects.exists()


@pytest.mark.parametrize("value", REFUSED)
def test_a_bulk_item_with_an_odd_id_is_rejected_by_index(staff, value):
    good = {
        "lms_user_id": 7,
        "program_uuid": "6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e",
        "reason": "BUNDLE_PURCHASE",
        "certainty": "CERTAIN_YES",
        "effective_timestamp": "2024-01-01T00:00:00Z",
    }
    response = post(staff, "/api/v1/program_intents/bulk/", {"intents": [good, {**good, "lms_user_id": value}]})
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], [item["index"] for item in body["rejected"]]) == (1, [1])
    assert set(body["rejected"][0]["errors"]) == {"lms_user_id"}
