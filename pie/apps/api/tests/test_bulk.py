"""POST /api/v1/program_intents/bulk/: the warehouse pipeline's door, JSON and CSV bodies."""

import gzip
import json
import uuid

import pytest

from pie.apps.intents.models import ProgramIntent
from pie.tests.support.api_clients import CREATE_URL

pytestmark = pytest.mark.django_db

BULK_URL = f"{CREATE_URL}bulk/"
PROGRAM = str(uuid.UUID(int=1))
HEADER = "user_id,program_uuid,intent_reason,intent_certainty,effective_time\n"


def item(lms_user_id=7, **fields) -> dict:
    return {
        "lms_user_id": lms_user_id,
        "program_uuid": PROGRAM,
        "reason": "BUNDLE_PURCHASE",
        "certainty": "CERTAIN_YES",
        "effective_timestamp": "2024-01-01T00:00:00Z",
        **fields,
    }


def post_json(client, body, url=BULK_URL, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def post_csv(client, text: str, *, gzipped=False):
    data = text.encode()
    headers = {"HTTP_CONTENT_ENCODING": "gzip"} if gzipped else {}
    return client.post(BULK_URL, gzip.compress(data) if gzipped else data, content_type="text/csv", **headers)


def csv_rows(count: int, *, first_user=1) -> str:
    return HEADER + "".join(
        f"{user},{PROGRAM},LEARNER_STATED,MAYBE,2022-07-01 00:00:00 Z\n"
        for user in range(first_user, first_user + count)
    )


def test_a_json_body_counts_created_duplicates_and_rejected(staff):
    ProgramIntent.objects.create(**item(lms_user_id=8))
    body = {
        "intents": [
            item(7),
            item(7),  # a duplicate earlier in the body
            item(8),  # already in the database
            item(9, reason="GUESSED"),
            item(10, effective_timestamp="2024-01-02T00:00:00+02:00"),
        ]
    }

    response = post_json(staff, body)

    assert response.status_code == 200
    assert response.json() == {
        "created": 2,
        "duplicates": 2,
        "rejected": [{"index": 3, "errors": {"reason": [response.json()["rejected"][0]["errors"]["reason"][0]]}}],
    }
    assert "Unknown reason" in response.json()["rejected"][0]["errors"]["reason"][0]
    assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [7, 8, 10]
    assert ProgramIntent.objects.get(lms_user_id=10).effective_timestamp.isoformat() == "2024-01-01T22:00:00+00:00"


def test_the_same_body_again_creates_nothing(staff):
    body = {"intents": [item(user) for user in range(1, 51)]}
    assert post_json(staff, body).json() == {"created": 50, "duplicates": 0, "rejected": []}
    assert post_json(staff, body).json() == {"created": 0, "duplicates": 50, "rejected": []}
    assert ProgramIntent.objects.count() == 50


@pytest.mark.parametrize("url", [BULK_URL, BULK_URL.rstrip("/")])
def test_the_path_answers_with_and_without_the_slash(staff, url):
    assert post_json(staff, {"intents": [item()]}, url=url).json()["created"] == 1


def test_effective_timestamp_is_required_and_every_fault_is_named(staff):
    no_timestamp = item()
    del no_timestamp["effective_timestamp"]
    body = {"intents": [no_timestamp, {"lms_user_id": 0, "program_uuid": "nope"}, item(5)]}

    response = post_json(staff, body)

    assert response.status_code == 200
    rejected = response.json()["rejected"]
    assert [entry["index"] for entry in rejected] == [0, 1]
    assert rejected[0]["errors"] == {"effective_timestamp": ["This field is required."]}
    assert set(rejected[1]["errors"]) == {"lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp"}
    assert response.json()["created"] == 1


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ("a string", "non_field_errors"),
        (["a", "list"], "non_field_errors"),
        (None, "non_field_errors"),
        ({**item(), "extra": 1}, "extra"),
        (item(lms_user_id=2**70), "lms_user_id"),  # beyond 64 bits: orjson refuses it, the item's check too
        (item(lms_user_id=True), "lms_user_id"),
        (item(program_uuid={"not": "a string"}), "program_uuid"),
        (item(reason=["BUNDLE_PURCHASE"]), "reason"),
        (item(effective_timestamp=20240101), "effective_timestamp"),
    ],
)
def test_a_bad_item_is_rejected_by_its_index_and_the_others_still_load(staff, bad, field):
    response = post_json(staff, {"intents": [item(1), bad, item(3)]})

    assert response.status_code == 200
    assert response.json()["created"] == 2
    [rejected] = response.json()["rejected"]
    assert rejected["index"] == 1
    assert field in rejected["errors"]
    assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [1, 3]


def test_a_csv_body_counts_and_rejects_by_line_and_column(staff):
    stamp = "2022-07-01T00:00:00Z"
    ProgramIntent.objects.create(**item(2, reason="LEARNER_STATED", certainty="MAYBE", effective_timestamp=stamp))
    text = (
        csv_rows(3)  # lines 2-4; user 2 is already recorded
        + f"1,{PROGRAM},LEARNER_STATED,MAYBE,2022-07-01 00:00:00 Z\n"  # line 5: a repeat of line 2
        + f"5,{PROGRAM},LEARNER_STATED,PERHAPS,2022-07-01 00:00:00 Z\n"  # line 6: a bad certainty
        + "6,only,three\n"  # line 7: not the header's width
    )

    response = post_csv(staff, text)

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["duplicates"]) == (2, 2)
    assert [(entry["line"], list(entry["errors"])) for entry in body["rejected"]] == [
        (6, ["intent_certainty"]),
        (7, ["non_field_errors"]),
    ]
    assert "expected 5 fields" in body["rejected"][1]["errors"]["non_field_errors"][0]
    assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [1, 2, 3]


@pytest.mark.parametrize("offset", ["+00:99", "-00:75", "+00:60", "+24:00"])
def test_a_timestamp_whose_offset_is_out_of_range_is_rejected_in_both_bodies(staff, offset):
    stamp = f"2022-07-01T00:00:00{offset}"
    body = post_json(staff, {"intents": [item(1), item(2, effective_timestamp=stamp)]}).json()
    assert (body["created"], [(entry["index"], list(entry["errors"])) for entry in body["rejected"]]) == (
        1,
        [(1, ["effective_timestamp"])],
    )
    assert body["rejected"][0]["errors"]["effective_timestamp"][0].startswith("Must be an ISO 8601 timestamp")
    response = post_csv(staff, HEADER + f"3,{PROGRAM},LEARNER_STATED,MAYBE,{stamp}\n")
    body = response.json()
    assert (body["created"], [(entry["line"], list(entry["errors"])) for entry in body["rejected"]]) == (
        0,
        [(2, ["effective_time"])],
    )
    assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [1]


def test_a_gzip_csv_body_loads_the_same_and_again_creates_nothing(staff):
    text = csv_rows(100)
    assert post_csv(staff, text, gzipped=True).json() == {"created": 100, "duplicates": 0, "rejected": []}
    assert post_csv(staff, text).json() == {"created": 0, "duplicates": 100, "rejected": []}
    assert ProgramIntent.objects.count() == 100


def test_csv_columns_are_matched_by_name_in_any_order_and_case(staff):
    text = "Effective_Time,INTENT_CERTAINTY,intent_reason,program_uuid,user_id,extra\n"
    text += f"2022-07-01 00:00:00 Z,MAYBE,LEARNER_STATED,{PROGRAM},42,ignored\n"
    assert post_csv(staff, text).json()["created"] == 1
    assert ProgramIntent.objects.get().lms_user_id == 42


def test_learners_get_403_and_anonymous_callers_401_writing_nothing(learner, client):
    body = {"intents": [item(7)]}
    refused = post_json(learner, body)
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "staff_only"
    anonymous = post_json(client, body)
    assert anonymous.status_code == 401
    assert anonymous.json()["error_code"] == "not_authenticated"
    assert post_csv(learner, csv_rows(1)).status_code == 403
    assert not ProgramIntent.objects.exists()


def test_exactly_the_limit_is_accepted_and_one_more_is_413_writing_nothing(staff, settings):
    settings.PIE_BULK_API_MAX_INTENTS = 5
    over = post_json(staff, {"intents": [item(user) for user in range(1, 7)]})
    assert over.status_code == 413
    assert over.json()["error_code"] == "too_many_intents"
    over_csv = post_csv(staff, csv_rows(6))
    assert over_csv.status_code == 413
    assert over_csv.json()["error_code"] == "too_many_intents"
    assert not ProgramIntent.objects.exists()

    assert post_json(staff, {"intents": [item(user) for user in range(1, 6)]}).json()["created"] == 5
    assert post_csv(staff, csv_rows(5, first_user=11)).json()["created"] == 5


def test_a_malformed_csv_record_counts_towards_the_limit(staff, settings):
    settings.PIE_BULK_API_MAX_INTENTS = 2
    assert post_csv(staff, csv_rows(2) + "3,short\n").status_code == 413
    assert not ProgramIntent.objects.exists()


def test_a_body_over_the_byte_limit_is_413_and_the_default_fits_the_largest_body(staff, settings):
    body = {"intents": [item(user) for user in range(1, 11)]}
    settings.PIE_BULK_API_MAX_BYTES = len(json.dumps(body)) - 1
    refused = post_json(staff, body)
    assert refused.status_code == 413
    assert refused.json()["error_code"] == "request_too_large"
    assert not ProgramIntent.objects.exists()

    settings.PIE_BULK_API_MAX_BYTES = None  # the default: room for the largest body, pretty-printed
    settings.PIE_BULK_API_MAX_INTENTS = 2000
    stamp = "2024-01-01T00:00:00.123456+00:00"
    largest = {"intents": [item(2**31 - 1 - user, effective_timestamp=stamp) for user in range(2000)]}
    text = json.dumps(largest, indent=4)
    assert len(text) > 2.5 * 2**20 * 2000 / 10_000  # as large, per intent, as Django's whole default limit
    response = staff.post(BULK_URL, text, content_type="application/json")
    assert response.json()["created"] == 2000


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("9" * 5000, id="an integer of 5000 digits"),
        pytest.param("-" + "1" * 4301, id="a negative integer of 4301 digits"),
        pytest.param("1e999", id="beyond a double"),
        pytest.param("-1" + "0" * 400 + ".5", id="a float of 400 digits"),
        pytest.param("1E" + "9" * 5000, id="an exponent of 5000 digits"),
    ],
)
def test_a_number_python_does_not_hold_rejects_its_item_only(staff, number):
    """Valid JSON: the item that carries it is rejected by index, the rest recorded."""
    items = [item(1), item(2), item(3), item(4, reason="LEARNER_STATED")]
    text = json.dumps({"intents": items}).replace('"lms_user_id": 2', f'"lms_user_id": {number}')
    text = text.replace('"reason": "LEARNER_STATED"', f'"reason": {number}')
    response = staff.post(BULK_URL, text, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], [(entry["index"], list(entry["errors"])) for entry in body["rejected"]]) == (
        2,
        [(1, ["lms_user_id"]), (3, ["reason"])],
    )
    assert sorted(ProgramIntent.objects.values_list("lms_user_id", flat=True)) == [1, 3]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_constant_that_is_not_json_is_400(staff, constant):
    text = json.dumps({"intents": [item(1)]}).replace('"lms_user_id": 1', f'"lms_user_id": {constant}')
    response = staff.post(BULK_URL, text, content_type="application/json")
    assert (response.status_code, response.json()["error_code"]) == (400, "parse_error")
    assert not ProgramIntent.objects.exists()


def test_a_gzip_bomb_is_413_without_inflating_it(staff):
    bomb = gzip.compress(HEADER.encode() + b"\n" * (64 * 2**20), compresslevel=9)
    assert len(bomb) < 200_000
    response = staff.post(BULK_URL, bomb, content_type="text/csv", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert response.json()["error_code"] == "request_too_large"


@pytest.mark.parametrize(
    ("data", "content_type", "headers", "status", "code"),
    [
        (b"[]", "application/json", {}, 400, "invalid_request"),
        (b'"intents"', "application/json", {}, 400, "invalid_request"),
        (b"{}", "application/json", {}, 400, "invalid_request"),
        (b'{"intents": {"0": {}}}', "application/json", {}, 400, "invalid_request"),
        (b'{"intents": [], "more": 1}', "application/json", {}, 400, "invalid_request"),
        (b'{"intents": [', "application/json", {}, 400, "parse_error"),
        (b"[" * 100_000, "application/json", {}, 400, "parse_error"),
        (b'{"intents": ["\xff"]}', "application/json", {}, 400, "parse_error"),
        (b"", "application/json", {}, 400, "parse_error"),
        (b"", "text/csv", {}, 400, "parse_error"),
        (b"\n\n", "text/csv", {}, 400, "parse_error"),
        (b"user_id,program_uuid\n1,2\n", "text/csv", {}, 400, "parse_error"),
        (b"\xff\xfe,\x00\n", "text/csv", {}, 400, "parse_error"),
        (b"not gzip", "text/csv", {"HTTP_CONTENT_ENCODING": "gzip"}, 400, "parse_error"),
        (gzip.compress(b"user_id\n")[:-6], "text/csv", {"HTTP_CONTENT_ENCODING": "gzip"}, 400, "parse_error"),
        (b"user_id\n", "text/csv", {"HTTP_CONTENT_ENCODING": "br"}, 415, "unsupported_media_type"),
        (b"user_id\n", "text/csv; charset=latin-1", {}, 415, "unsupported_media_type"),
        (b"user_id\n", "text/plain", {}, 415, "unsupported_media_type"),
        (b"intents=1", "application/x-www-form-urlencoded", {}, 415, "unsupported_media_type"),
    ],
)
def test_malformed_bodies_are_a_json_4xx_and_write_nothing(staff, data, content_type, headers, status, code):
    response = staff.post(BULK_URL, data, content_type=content_type, **headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["error_code"] == code
    assert not ProgramIntent.objects.exists()


def test_a_body_without_a_content_type_is_415(staff):
    response = staff.generic("POST", BULK_URL, b'{"intents": []}', content_type="")
    assert response.status_code == 415
    assert response.json()["error_code"] == "unsupported_media_type"


def test_an_empty_list_records_nothing(staff):
    assert post_json(staff, {"intents": []}).json() == {"created": 0, "duplicates": 0, "rejected": []}


def test_monitoring_attributes_say_what_the_request_did(staff, recorded_attributes):
    post_json(staff, {"intents": [item(1), item(1), item(2, certainty="NOPE")]})
    assert {name: value for name, value in recorded_attributes.items() if name.startswith("pie_bulk_")} == {
        "pie_bulk_items": 3,
        "pie_bulk_format": "json",
        "pie_bulk_created": 1,
        "pie_bulk_duplicates": 1,
        "pie_bulk_rejected": 1,
    }


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_a_10000_intent_body_costs_a_few_queries_not_one_per_intent(staff, kind, django_assert_max_num_queries):
    post_json(staff, {"intents": []})  # the staff user now exists
    if kind == "json":
        data = json.dumps({"intents": [item(user) for user in range(1, 10_001)]})
        content_type = "application/json"
    else:
        data, content_type = csv_rows(10_000), "text/csv"
    # Look up the user; then one batch: its transaction (a savepoint in the test's) and
    # the inserts (one executemany on SQLite, five multi-row statements on MySQL).
    with django_assert_max_num_queries(10):
        response = staff.post(BULK_URL, data, content_type=content_type)
    assert response.json() == {"created": 10_000, "duplicates": 0, "rejected": []}
    assert ProgramIntent.objects.count() == 10_000


def test_a_chunked_body_the_server_cannot_pass_is_411(staff):
    """Django's development server (as the test client) does not de-chunk a body: PIE says so, not "empty"."""
    response = staff.generic("POST", BULK_URL, b"", content_type="text/csv", HTTP_TRANSFER_ENCODING="chunked")
    assert (response.status_code, response.json()["error_code"]) == (411, "length_required")
