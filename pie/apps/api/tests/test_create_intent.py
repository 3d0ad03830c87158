"""POST /api/v1/program_intents/: recording an intent over HTTP."""

import json
from datetime import datetime
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from pie.apps.core.tokens import mint_lms_jwt
from pie.apps.intents.models import ProgramIntent
from pie.tests.support.api_clients import CREATE_URL, LIST_URL

pytestmark = pytest.mark.django_db

INTENT_FIELDS = {"id", "lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp", "created"}


def post_json(client, body):
    return client.post(CREATE_URL, json.dumps(body), content_type="application/json")


def test_a_learner_records_their_own_intent(learner, intent_body):
    response = post_json(learner, intent_body())
    assert response.status_code == 201
    body = response.json()
    assert set(body) == INTENT_FIELDS
    intent = ProgramIntent.objects.get()
    assert body == {
        "id": intent.pk,
        "lms_user_id": 7,
        "program_uuid": "00000000-0000-0000-0000-000000000001",
        "reason": "BUNDLE_PURCHASE",
        "certainty": "CERTAIN_YES",
        "effective_timestamp": "2024-01-01T00:00:00Z",
        "created": intent.created.isoformat().replace("+00:00", "Z"),
    }


@pytest.mark.parametrize("url", [CREATE_URL, CREATE_URL.rstrip("/")])
def test_form_encoded_bodies_are_accepted_with_and_without_the_slash(learner, intent_body, url):
    response = learner.post(url, urlencode(intent_body()), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201
    assert ProgramIntent.objects.get().lms_user_id == 7


@pytest.mark.parametrize("field", ["effective_timestamp", "lms_user_id"])
def test_an_empty_form_value_is_refused_not_taken_as_omitted(learner, intent_body, field):
    response = learner.post(
        CREATE_URL, urlencode(intent_body(**{field: ""})), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not ProgramIntent.objects.exists()


def test_multipart_bodies_are_refused_with_415(learner, intent_body):
    response = learner.post(CREATE_URL, intent_body(), format="multipart")
    assert response.status_code == 415
    assert response.json()["error_code"] == "unsupported_media_type"


def test_a_naive_timestamp_is_taken_as_utc(learner, intent_body):
    response = post_json(learner, intent_body(effective_timestamp="2024-03-01T12:30:00"))
    assert response.json()["effective_timestamp"] == "2024-03-01T12:30:00Z"


def test_an_omitted_effective_timestamp_means_now(learner, intent_body):
    body = intent_body()
    del body["effective_timestamp"]
    before = timezone.now()
    response = post_json(learner, body)
    after = timezone.now()
    assert response.status_code == 201
    recorded = datetime.fromisoformat(response.json()["effective_timestamp"])
    assert before <= recorded <= after


def test_a_duplicate_is_400_duplicate_intent_and_records_nothing(learner, intent_body):
    assert post_json(learner, intent_body()).status_code == 201
    # The same instant written another way is the same intent.
    response = post_json(learner, intent_body(effective_timestamp="2024-01-01 00:00:00+00:00"))
    assert response.status_code == 400
    assert response.json() == {"detail": "This intent is already recorded.", "error_code": "duplicate_intent"}
    assert ProgramIntent.objects.count() == 1


def test_another_certainty_is_a_new_intent_not_a_duplicate(learner, intent_body):
    assert post_json(learner, intent_body()).status_code == 201
    assert post_json(learner, intent_body(certainty="MAYBE")).status_code == 201
    assert ProgramIntent.objects.count() == 2


def test_a_learner_may_name_themselves(learner, intent_body):
    assert post_json(learner, intent_body(lms_user_id=7)).status_code == 201


def test_a_learner_may_not_write_for_another_learner(learner, intent_body):
    response = post_json(learner, intent_body(lms_user_id=8))
    assert response.status_code == 403
    assert response.json()["error_code"] == "forbidden_lms_user_id"
    assert not ProgramIntent.objects.exists()


def test_staff_write_on_behalf_of_a_learner(staff, intent_body, learner_client):
    response = post_json(staff, intent_body(lms_user_id=8))
    assert response.status_code == 201
    assert ProgramIntent.objects.get().lms_user_id == 8
    # ...and the learner sees it.
    assert [intent["id"] for intent in learner_client(8).get(LIST_URL).json()] == [response.json()["id"]]


def test_staff_without_a_user_id_claim_may_still_name_the_learner(client_with_token, intent_body):
    client = client_with_token(mint_lms_jwt(lms_user_id=None, username="worker", administrator=True))
    assert post_json(client, intent_body(lms_user_id=8)).status_code == 201


@pytest.mark.parametrize("administrator", [False, True])
def test_a_token_without_user_id_naming_no_one_is_403(client_with_token, intent_body, administrator):
    client = client_with_token(mint_lms_jwt(lms_user_id=None, username="worker", administrator=administrator))
    response = post_json(client, intent_body())
    assert response.status_code == 403
    assert response.json()["error_code"] == "missing_lms_user_id"


def field_errors(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["error_code"] == "invalid_request"
    assert body["detail"]
    return body["errors"]


def without(body: dict, *names) -> dict:
    return {name: value for name, value in body.items() if name not in names}


BASE = {
    "program_uuid": "00000000-0000-0000-0000-000000000001",
    "reason": "BUNDLE_PURCHASE",
    "certainty": "CERTAIN_YES",
    "effective_timestamp": "2024-01-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        pytest.param({**BASE, "program_uuid": "not-a-uuid"}, {"program_uuid"}, id="bad uuid"),
        pytest.param({**BASE, "reason": "GUESSED"}, {"reason"}, id="unknown reason"),
        pytest.param({**BASE, "certainty": "PROBABLY"}, {"certainty"}, id="unknown certainty"),
        pytest.param({**BASE, "reason": "bundle_purchase"}, {"reason"}, id="reason in the wrong case"),
        pytest.param({**BASE, "effective_timestamp": "yesterday"}, {"effective_timestamp"}, id="bad timestamp"),
        pytest.param({**BASE, "effective_timestamp": "2024-02-30T00:00Z"}, {"effective_timestamp"}, id="no such day"),
        pytest.param({**BASE, "effective_timestamp": "2999-01-01T00:00:00Z"}, {"effective_timestamp"}, id="future"),
        pytest.param({**BASE, "effective_timestamp": ""}, {"effective_timestamp"}, id="blank timestamp"),
        pytest.param(without(BASE, "program_uuid"), {"program_uuid"}, id="missing program_uuid"),
        pytest.param(without(BASE, "reason", "certainty"), {"reason", "certainty"}, id="missing reason, certainty"),
        pytest.param({}, {"program_uuid", "reason", "certainty"}, id="empty object"),
        pytest.param({**BASE, "program_uuid": 123}, {"program_uuid"}, id="uuid as a number"),
        pytest.param({**BASE, "certainty": ["CERTAIN_YES"]}, {"certainty"}, id="certainty as a list"),
        pytest.param({**BASE, "reason": {"a": 1}}, {"reason"}, id="reason as an object"),
        pytest.param({**BASE, "reason": None}, {"reason"}, id="null reason"),
        pytest.param({**BASE, "effective_timestamp": 1704067200}, {"effective_timestamp"}, id="epoch number"),
        pytest.param({**BASE, "lms_user_id": "seven"}, {"lms_user_id"}, id="lms_user_id as a word"),
        pytest.param({**BASE, "lms_user_id": True}, {"lms_user_id"}, id="lms_user_id as a boolean"),
        pytest.param({**BASE, "lms_user_id": 7.5}, {"lms_user_id"}, id="lms_user_id as a fraction"),
        pytest.param({**BASE, "effective_time": "2024-01-01T00:00:00Z"}, {"effective_time"}, id="unknown field"),
        pytest.param({**BASE, "reason": "X" * 10_000}, {"reason"}, id="oversized reason"),
        pytest.param({**BASE, "certainty": "Y" * 10_000}, {"certainty"}, id="oversized certainty"),
        pytest.param({**BASE, "program_uuid": "a" * 10_000}, {"program_uuid"}, id="oversized uuid"),
        pytest.param({**BASE, "effective_timestamp": "2024" * 1000}, {"effective_timestamp"}, id="oversized timestamp"),
    ],
)
def test_bad_input_is_400_with_the_fields_at_fault(learner, body, fields):
    errors = field_errors(post_json(learner, body))
    assert set(errors) == fields
    assert all(errors[name] and all(isinstance(message, str) for message in errors[name]) for name in fields)
    assert not ProgramIntent.objects.exists()


def test_domain_messages_reach_the_client(learner, intent_body):
    errors = field_errors(post_json(learner, intent_body(effective_timestamp="2999-01-01T00:00:00Z")))
    assert errors == {"effective_timestamp": ["Must not be in the future."]}


def test_a_timestamp_before_year_1_in_utc_is_out_of_range(learner, intent_body):
    errors = field_errors(post_json(learner, intent_body(effective_timestamp="0001-01-01T00:00:00+05:00")))
    assert errors == {
        "effective_timestamp": [
            "Out of range: must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z once in UTC."
        ]
    }
    assert not ProgramIntent.objects.exists()


@pytest.mark.parametrize("lms_user_id", [0, -1, 2**31, 10**30])
def test_staff_naming_an_impossible_learner_is_400(staff, intent_body, lms_user_id):
    assert set(field_errors(post_json(staff, intent_body(lms_user_id=lms_user_id)))) == {"lms_user_id"}


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("{not json", id="malformed"),
        pytest.param('{"program_uuid": ', id="truncated"),
        pytest.param("\x00\xff", id="binary"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="nested too deeply"),
        pytest.param('{"a":' * 100_000 + "1" + "}" * 100_000, id="objects nested too deeply"),
    ],
)
def test_malformed_json_is_400_parse_error(learner, raw):
    response = learner.post(CREATE_URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error_code"] == "parse_error"


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        pytest.param("", {"program_uuid", "reason", "certainty"}, id="empty body"),
        pytest.param("[1, 2]", {"non_field_errors"}, id="a list"),
        pytest.param('"intent"', {"non_field_errors"}, id="a string"),
        pytest.param("null", {"non_field_errors"}, id="null"),
    ],
)
def test_a_body_that_is_not_an_object_is_400(learner, raw, fields):
    response = learner.post(CREATE_URL, raw, content_type="application/json")
    assert set(field_errors(response)) == fields


def test_an_unsupported_media_type_is_415(learner):
    response = learner.post(CREATE_URL, "program_uuid=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error_code"] == "unsupported_media_type"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("authenticated", [True, False])
def test_intents_cannot_be_changed_here(learner, method, authenticated, intent_body):
    # A GET here is a learner's history of one program (test_program_reads).
    client = learner if authenticated else APIClient()
    response = getattr(client, method)(CREATE_URL, json.dumps(intent_body()), content_type="application/json")
    assert response.status_code == 405
    assert response.json()["error_code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_a_post_costs_a_small_fixed_number_of_queries(learner, intent_body, django_assert_max_num_queries):
    assert post_json(learner, intent_body(certainty="MAYBE")).status_code == 201  # the user now exists
    # Look up the user, then the insert and the locking read of the learner's retirement
    # hash inside its savepoint (ADR 0017).
    with django_assert_max_num_queries(5):
        assert post_json(learner, intent_body()).status_code == 201


def test_a_first_post_by_a_new_user_stays_small(learner, intent_body, django_assert_max_num_queries):
    # Storing the local user from the token's claims adds a few queries, once: whether another
    # user holds its LMS id, then its insert and the locking read of its retirement hash.
    with django_assert_max_num_queries(10):
        assert post_json(learner, intent_body()).status_code == 201


def test_monitoring_attributes_say_created_or_duplicate(learner, staff, intent_body, recorded_attributes):
    post_json(learner, intent_body())
    assert recorded_attributes["pie_intent_created"] is True
    assert recorded_attributes["pie_intent_on_behalf"] is False
    assert recorded_attributes["pie_intent_reason"] == "BUNDLE_PURCHASE"
    post_json(learner, intent_body())
    assert recorded_attributes["pie_intent_created"] is False
    post_json(staff, intent_body(lms_user_id=8))
    assert recorded_attributes["pie_intent_on_behalf"] is True


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("program_uuid", "+6e1e5a3c1e384f0c9a443b9f1f0c6a2", id="uuid with a sign"),
        pytest.param("program_uuid", "{6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e}", id="uuid in braces"),
        pytest.param("program_uuid", "6e1e5a3c_1e38_4f0c_9a44_3b9f1f0c6a2e", id="uuid with underscores"),
        pytest.param("effective_timestamp", 20240701, id="timestamp as a number"),
        pytest.param("effective_timestamp", "1" * 64, id="64 ones"),
        pytest.param("effective_timestamp", "2024-07-01\n00:00:00", id="timestamp with a newline"),
        pytest.param("effective_timestamp", "2024-07-01T00:00:00+00:99", id="offset minutes 99"),
        pytest.param("effective_timestamp", "2024-07-01T00:00:00-00:75", id="offset minutes 75"),
        pytest.param("effective_timestamp", "2024-07-01T00:00:00+00:60", id="offset minutes 60"),
        pytest.param("effective_timestamp", "2024-07-01T00:00:00+24:00", id="offset hours 24"),
    ],
)
def test_identifiers_and_timestamps_are_read_strictly(learner, intent_body, field, value):
    response = post_json(learner, intent_body(**{field: value}))
    assert response.status_code == 400
    assert set(field_errors(response)) == {field}
    assert not ProgramIntent.objects.exists()


def test_a_key_that_is_not_valid_unicode_is_400_not_500(learner, intent_body):
    body = json.dumps(intent_body())[:-1] + ', "\\ud800": 1}'
    response = learner.post(CREATE_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert field_errors(response)["\\ud800"] == ["Unknown field."]
    assert not ProgramIntent.objects.exists()


def test_the_unknown_fields_an_error_names_are_capped(learner, intent_body):
    body = {**intent_body(), **{f"{n:x}": 1 for n in range(200_000)}}  # 2.2 MB, under Django's limit
    response = post_json(learner, body)
    assert response.status_code == 400
    errors = field_errors(response)
    assert len(errors) == 21
    assert errors["non_field_errors"] == ["And 199980 more unknown fields."]
    assert "0" in errors
    assert len(response.content) < 5000
