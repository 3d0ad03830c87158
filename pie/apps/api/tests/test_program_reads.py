"""
GET /api/v1/programs/{program_uuid}/engagement/ and /learners/ (staff), and
GET /api/v1/program_intents/?program_uuid=... (a learner's history of one program).
"""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase
from rest_framework.test import APIClient

from pie.apps.api.tests.browser_clients import browser_client, cors_headers
from pie.apps.api.v1.pagination import MAX_PAGE_SIZE, decode_cursor
from pie.apps.core.tokens import mint_lms_jwt
from pie.apps.intents import services
from pie.apps.intents.constants import IntentCertainty, IntentKey, IntentReason
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.tests.factories import BASE_TIME, ProgramIntentFactory
from pie.apps.intents.tests.oracle import current_intents
from pie.apps.intents.writing.single import insert_intent
from pie.tests.support.api_clients import CREATE_URL
from pie.tests.support.tokens import lms_claims, sign_with_development_key

pytestmark = pytest.mark.django_db

YES, NO, MAYBE = IntentCertainty.CERTAIN_YES, IntentCertainty.CERTAIN_NO, IntentCertainty.MAYBE
PROGRAM = uuid.UUID(int=0xA)
ENGAGEMENT = f"/api/v1/programs/{PROGRAM}/engagement/"
LEARNERS = f"/api/v1/programs/{PROGRAM}/learners/"
HISTORY_PATH = "/api/v1/program_intents/"
HISTORY = f"{HISTORY_PATH}?program_uuid={PROGRAM}"


def at(minutes):
    return BASE_TIME + timedelta(minutes=minutes)


def representation(intent) -> dict:
    intent = ProgramIntent.objects.get(pk=intent.pk)
    return {
        "id": intent.pk,
        "lms_user_id": intent.lms_user_id,
        "program_uuid": str(intent.program_uuid),
        "reason": intent.reason,
        "certainty": intent.certainty,
        "effective_timestamp": intent.effective_timestamp.isoformat().replace("+00:00", "Z"),
        "created": intent.created.isoformat().replace("+00:00", "Z"),
    }


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def refused(response, status=400) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) <= {"detail", "error_code", "errors"}
    return body


@pytest.fixture
def program():
    """Learner 1: CERTAIN_YES then a later MAYBE (current: YES). 2: YES then a later NO. 3: a MAYBE."""
    return {
        "1_yes": ProgramIntentFactory(lms_user_id=1, program_uuid=PROGRAM, certainty=YES, effective_timestamp=at(1)),
        "1_maybe": ProgramIntentFactory(
            lms_user_id=1, program_uuid=PROGRAM, certainty=MAYBE, reason="LEARNER_STATED", effective_timestamp=at(9)
        ),
        "2_yes": ProgramIntentFactory(lms_user_id=2, program_uuid=PROGRAM, certainty=YES, effective_timestamp=at(2)),
        "2_no": ProgramIntentFactory(
            lms_user_id=2, program_uuid=PROGRAM, certainty=NO, reason="LEARNER_STATED", effective_timestamp=at(5)
        ),
        "3_maybe": ProgramIntentFactory(
            lms_user_id=3,
            program_uuid=PROGRAM,
            certainty=MAYBE,
            reason="ENROLLED_ALL_COURSES",
            effective_timestamp=at(3),
        ),
        "other_program": ProgramIntentFactory(lms_user_id=4, program_uuid=uuid.UUID(int=0xB)),
    }


# Engagement


def test_engagement_counts_each_learner_by_their_current_intent(staff, program):
    body = ok(staff.get(ENGAGEMENT))
    assert body["program_uuid"] == str(PROGRAM)
    assert body["learners"] == 3
    assert body["by_certainty"] == {YES: 1, NO: 1, MAYBE: 1}
    assert body["by_reason"] == {
        "BUNDLE_PURCHASE": 1,
        "ENROLLED_ALL_COURSES": 1,
        "EARNED_PROGRAM_CERT": 0,
        "ALL_COURSES_COMPLETE": 0,
        "LEARNER_STATED": 1,
    }
    assert abs(datetime.fromisoformat(body["as_of"]) - timezone.now()) < timedelta(minutes=1)


def test_engagement_as_of_counts_the_intents_in_effect_then(staff, program):
    body = ok(staff.get(ENGAGEMENT, {"as_of": at(2).isoformat()}))
    assert body["learners"] == 2
    assert body["by_certainty"] == {YES: 2, NO: 0, MAYBE: 0}
    assert body["as_of"] == "2024-01-01T00:02:00Z"
    # A day, and no zone (UTC).
    assert ok(staff.get(ENGAGEMENT, {"as_of": "2023-12-31"}))["learners"] == 0
    assert ok(staff.get(ENGAGEMENT, {"as_of": "2024-01-01 00:05:00"}))["by_certainty"] == {YES: 1, NO: 1, MAYBE: 1}


@pytest.mark.parametrize(
    "as_of",
    [
        pytest.param(lambda: (timezone.now() + timedelta(minutes=5)).isoformat(), id="in the future"),
        pytest.param(lambda: "9999-12-31T23:59:59Z", id="far future"),
        pytest.param(lambda: "10000-01-01T00:00:00Z", id="out of range"),
        pytest.param(lambda: "0000-01-01", id="year zero"),
        pytest.param(lambda: "0001-01-01T00:00:00+01:00", id="before year 1 in UTC"),
        pytest.param(lambda: "2024-02-30", id="no such day"),
        pytest.param(lambda: "1704067200", id="epoch seconds"),
        pytest.param(lambda: "", id="blank"),
        pytest.param(lambda: "x" * 10_000, id="long"),
    ],
)
def test_an_odd_as_of_is_a_400(staff, as_of):
    assert "as_of" in refused(staff.get(ENGAGEMENT, {"as_of": as_of()}))["errors"]


# Learners


def test_learners_lists_each_learner_once_with_their_current_intent(staff, program):
    body = ok(staff.get(LEARNERS))
    assert body["results"] == [representation(program[name]) for name in ("1_yes", "2_no", "3_maybe")]
    assert body["next"] is None
    assert body["previous"] is None


def test_filters_apply_to_the_current_intent(staff, program):
    # Learner 2 has an older CERTAIN_YES, but their current intent is a CERTAIN_NO.
    assert ok(staff.get(LEARNERS, {"certainty": YES}))["results"] == [representation(program["1_yes"])]
    both = ok(staff.get(f"{LEARNERS}?certainty=CERTAIN_NO&certainty=MAYBE"))["results"]
    assert [row["lms_user_id"] for row in both] == [2, 3]
    by_reason = ok(staff.get(f"{LEARNERS}?reason=LEARNER_STATED&reason=ENROLLED_ALL_COURSES"))["results"]
    assert [row["lms_user_id"] for row in by_reason] == [2, 3]
    assert ok(staff.get(LEARNERS, {"certainty": MAYBE, "reason": "LEARNER_STATED"}))["results"] == []


def test_pages_link_forwards_and_back(staff):
    for learner in range(1, 8):
        ProgramIntentFactory(lms_user_id=learner, program_uuid=PROGRAM)
    first = ok(staff.get(LEARNERS, {"page_size": 3}))
    second = ok(staff.get(first["next"]))
    third = ok(staff.get(second["next"]))
    assert [[r["lms_user_id"] for r in page["results"]] for page in (first, second, third)] == [
        [1, 2, 3],
        [4, 5, 6],
        [7],
    ]
    assert third["next"] is None
    assert "page_size=3" in third["previous"]
    assert ok(staff.get(third["previous"]))["results"] == second["results"]
    back = ok(staff.get(second["previous"]))
    assert back["results"] == first["results"]
    assert back["previous"] is None


def test_a_walk_answers_as_of_its_first_page(staff):
    for learner in (2, 4, 6):
        ProgramIntentFactory(lms_user_id=learner, program_uuid=PROGRAM, certainty=MAYBE)
    first = ok(staff.get(LEARNERS, {"page_size": 2}))
    # Arriving now: a new learner before and after the cursor, and a new current intent for learner 6.
    for learner in (1, 5):
        services.record_intent(lms_user_id=learner, program_uuid=PROGRAM, reason="BUNDLE_PURCHASE", certainty=YES)
    services.record_intent(lms_user_id=6, program_uuid=PROGRAM, reason="BUNDLE_PURCHASE", certainty=YES)
    second = ok(staff.get(first["next"]))
    assert [(r["lms_user_id"], r["certainty"]) for r in first["results"] + second["results"]] == [
        (2, MAYBE),
        (4, MAYBE),
        (6, MAYBE),
    ]
    # A new walk sees them.
    assert [r["lms_user_id"] for r in ok(staff.get(LEARNERS))["results"]] == [1, 2, 4, 5, 6]


def test_page_size_defaults_to_100_and_is_at_most_1000(staff):
    for learner in range(1, 102):
        ProgramIntentFactory(lms_user_id=learner, program_uuid=PROGRAM)
    assert len(ok(staff.get(LEARNERS))["results"]) == 100
    assert len(ok(staff.get(LEARNERS, {"page_size": MAX_PAGE_SIZE}))["results"]) == 101
    assert len(ok(staff.get(LEARNERS, {"page_size": "007"}))["results"]) == 7
    for size in (0, -1, MAX_PAGE_SIZE + 1, "ten", "1.5", "", "1" * 2000):
        assert "page_size" in refused(staff.get(LEARNERS, {"page_size": size}))["errors"]


# Fullwidth and Arabic-Indic digits are digits to Python's int(), not to a query's reader.
NOT_DIGITS = ["10.0", "10.", "10.000", " 10", "10 ", "+10", "1_0", "1e1", "\uff11\uff10", "\u0661\u0660"]


@pytest.mark.parametrize("size", NOT_DIGITS)
@pytest.mark.parametrize(("url", "query"), [(LEARNERS, {}), (HISTORY_PATH, {"program_uuid": PROGRAM})])
def test_a_page_size_is_digits_only(staff, size, url, query):
    ProgramIntentFactory(lms_user_id=900, program_uuid=PROGRAM)
    body = refused(staff.get(url, {**query, "page_size": size}))
    assert body["error_code"] == "invalid_request"
    assert body["errors"] == {"page_size": ["A valid integer is required."]}


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"certainty": "CERTAINLY"}, id="no such certainty"),
        pytest.param({"certainty": ["CERTAIN_YES"] * 101}, id="101 certainties"),
        pytest.param({"reason": "GUESSED"}, id="no such reason"),
        pytest.param({"reason": ["LEARNER_STATED"] * 101}, id="101 reasons"),
        pytest.param({"certainty": ""}, id="blank certainty"),
        pytest.param({"colour": "blue"}, id="unknown parameter"),
        pytest.param({"cursor": "x" * 1000}, id="long cursor"),
    ],
)
def test_odd_parameters_are_a_400(staff, query):
    refused(staff.get(LEARNERS, query))


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


NOW_US = 1_700_000_000_000_000
TAMPERED = {
    "not base64": "%%%",
    "base64 of junk": base64.urlsafe_b64encode(b"\xff\xfe junk").decode(),
    "not a list": _cursor({"a": 1}),
    "too short": _cursor([NOW_US, "a"]),
    "too long": _cursor([NOW_US, "a", 1, 2]),
    "no such direction": _cursor([NOW_US, "c", 1]),
    "a string key": _cursor([NOW_US, "a", "1"]),
    "a float key": _cursor([NOW_US, "a", 1.5]),
    "a boolean key": _cursor([NOW_US, "a", True]),
    "a negative learner": _cursor([NOW_US, "a", -1]),
    "a time before 1970": _cursor([-1, "a", 1]),
    "a learner id out of range": _cursor([NOW_US, "a", 2**31]),
    "a huge key": _cursor([NOW_US, "a", 10**30]),
    "zero learner": _cursor([NOW_US, "a", 0]),
    "a time in the future": _cursor([NOW_US * 2, "a", 1]),
    "a time out of range": _cursor([2**62, "a", 1]),
    "nested deeply": _cursor([[[[[]]]]]),
    "null time": _cursor([None, "a", 1]),
}


@pytest.mark.parametrize("cursor", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_cursor_is_a_400_never_a_404_or_500(staff, program, cursor):
    assert refused(staff.get(LEARNERS, {"cursor": cursor}))["errors"] == {
        "cursor": ["Invalid cursor: use the next or previous link of a page."]
    }


HISTORY_TAMPERED = {
    **{name: cursor for name, cursor in TAMPERED.items() if "learner" not in name},
    "a history time out of range": _cursor([NOW_US, "a", 2**62, NOW_US, 1]),
    "a history id of a learner cursor": _cursor([NOW_US, "a", 1]),
}


@pytest.mark.parametrize("cursor", HISTORY_TAMPERED.values(), ids=HISTORY_TAMPERED.keys())
def test_a_tampered_history_cursor_is_a_400(learner, cursor):
    ProgramIntentFactory(lms_user_id=7, program_uuid=PROGRAM)
    refused(learner.get(HISTORY_PATH, {"program_uuid": PROGRAM, "cursor": cursor}))


@pytest.mark.parametrize("path", ["engagement", "learners"])
@pytest.mark.parametrize("program_uuid", ["nope", "1234", f"{PROGRAM}0", f"{{{PROGRAM}}}", "%F0%9F%98%80", "-" * 36])
def test_a_malformed_program_uuid_is_a_400(staff, path, program_uuid):
    body = refused(staff.get(f"/api/v1/programs/{program_uuid}/{path}/"))
    assert "program_uuid" in body["errors"]


# Who may read them


@pytest.mark.parametrize("url", [ENGAGEMENT, LEARNERS, ENGAGEMENT.rstrip("/"), LEARNERS.rstrip("/")])
def test_staff_only(url, learner, client_with_token):
    assert refused(APIClient().get(url), 401)["error_code"] == "not_authenticated"
    assert refused(learner.get(url), 403)["error_code"] == "staff_only"
    another_issuer = sign_with_development_key(lms_claims(iss="https://evil.example.com/oauth2", administrator=True))
    refused(client_with_token(another_issuer).get(url), 401)


@pytest.mark.parametrize("url", [ENGAGEMENT, LEARNERS])
def test_a_staff_session_may_read(url, program):
    client = APIClient()
    client.force_login(get_user_model().objects.create_user(username="operator", password="x", is_staff=True))
    ok(client.get(url))
    learner = APIClient()
    learner.force_login(get_user_model().objects.create_user(username="someone", password="x", lms_user_id=9))
    refused(learner.get(url), 403)


@pytest.mark.parametrize("url", [ENGAGEMENT, LEARNERS])
def test_the_paths_answer_without_the_trailing_slash(staff, program, url):
    with_slash, without = ok(staff.get(url)), ok(staff.get(url.rstrip("/")))
    with_slash.pop("as_of", None), without.pop("as_of", None)
    assert without == with_slash


@pytest.mark.parametrize("url", [ENGAGEMENT, LEARNERS])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_program_reads_are_reads(staff, url, method):
    assert refused(getattr(staff, method)(url), 405)["error_code"] == "method_not_allowed"


# History


def test_the_history_is_every_intent_newest_first(learner):
    made = [
        ProgramIntentFactory(lms_user_id=7, program_uuid=PROGRAM, certainty=c, effective_timestamp=at(m))
        for c, m in [(YES, 5), (MAYBE, 9), (NO, 5), (MAYBE, 1)]
    ]
    ProgramIntentFactory(lms_user_id=8, program_uuid=PROGRAM)
    ProgramIntentFactory(lms_user_id=7, program_uuid=uuid.UUID(int=0xB))
    body = ok(learner.get(HISTORY))
    # effective time, then created: the CERTAIN_NO at 5 was recorded after the CERTAIN_YES at 5.
    assert body["results"] == [representation(made[i]) for i in (1, 2, 0, 3)]
    assert body["next"] is None
    assert ok(learner.get(HISTORY.replace("/?", "?")))["results"] == body["results"]


def test_the_history_is_the_learners_own_unless_staff(learner, staff):
    theirs = ProgramIntentFactory(lms_user_id=8, program_uuid=PROGRAM)
    assert (
        refused(learner.get(HISTORY_PATH, {"program_uuid": PROGRAM, "lms_user_id": 8}), 403)["error_code"]
        == "forbidden_lms_user_id"
    )
    assert ok(learner.get(HISTORY_PATH, {"program_uuid": PROGRAM, "lms_user_id": 7}))["results"] == []
    assert ok(staff.get(HISTORY_PATH, {"program_uuid": PROGRAM, "lms_user_id": 8}))["results"] == [
        representation(theirs)
    ]
    refused(APIClient().get(HISTORY), 401)


@pytest.mark.parametrize(
    "query",
    ["", "program_uuid=nope", f"program_uuid={PROGRAM}&program_uuid=x", f"program_uuid={PROGRAM}&lms_user_id=0"],
)
def test_the_history_needs_one_program(learner, query):
    refused(learner.get(f"/api/v1/program_intents/?{query}"))


def test_the_history_pages(learner):
    for minutes in range(5):
        ProgramIntentFactory(lms_user_id=7, program_uuid=PROGRAM, effective_timestamp=at(minutes))
    first = ok(learner.get(HISTORY_PATH, {"program_uuid": PROGRAM, "page_size": 2}))
    second = ok(learner.get(first["next"]))
    third = ok(learner.get(second["next"]))
    times = [r["effective_timestamp"][11:16] for p in (first, second, third) for r in p["results"]]
    assert times == ["00:04", "00:03", "00:02", "00:01", "00:00"]
    assert third["next"] is None
    assert ok(learner.get(third["previous"]))["results"] == second["results"]


def test_the_history_pages_through_times_before_1970(learner):
    for year in (1960, 1965, 1969):
        ProgramIntentFactory(lms_user_id=7, program_uuid=PROGRAM, effective_timestamp=datetime(year, 1, 1, tzinfo=UTC))
    first = ok(learner.get(HISTORY_PATH, {"program_uuid": PROGRAM, "page_size": 1}))
    second = ok(learner.get(first["next"]))
    third = ok(learner.get(second["next"]))
    assert [p["results"][0]["effective_timestamp"][:4] for p in (first, second, third)] == ["1969", "1965", "1960"]
    assert ok(learner.get(third["previous"]))["results"] == second["results"]


def test_the_mfe_reads_the_history_with_the_jwt_cookie_and_cors_headers():
    ProgramIntentFactory(lms_user_id=7, program_uuid=PROGRAM)
    response = browser_client().get(HISTORY)
    assert len(ok(response)["results"]) == 1
    assert cors_headers(response)["access-control-allow-credentials"] == "true"


def test_the_post_on_the_same_path_still_records(learner, intent_body):
    assert learner.post(CREATE_URL, intent_body(), format="json").status_code == 201


# A parameter given twice


def _walk_cursor(client, url) -> str:
    """The cursor of the next link of ``url``'s first page of one row."""
    next_url = ok(client.get(url + ("&" if "?" in url else "?") + "page_size=1"))["next"]
    return parse_qs(urlsplit(next_url).query)["cursor"][0]


TWICE = "The parameter is given more than once; give it once."


@pytest.mark.parametrize(
    ("url", "name", "values"),
    [
        pytest.param(ENGAGEMENT, "as_of", lambda client: ["2024-07-01", "2024-07-02"], id="engagement as_of"),
        pytest.param(ENGAGEMENT, "as_of", lambda client: ["2024-07-01", "2024-07-01"], id="engagement as_of, same"),
        pytest.param(LEARNERS, "page_size", lambda client: ["2", "3"], id="learners page_size"),
        pytest.param(LEARNERS, "page_size", lambda client: ["2", "2"], id="learners page_size, same"),
        pytest.param(LEARNERS, "cursor", lambda client: [_walk_cursor(client, LEARNERS)] * 2, id="learners cursor"),
        pytest.param(HISTORY, "page_size", lambda client: ["2", "3"], id="history page_size"),
        pytest.param(HISTORY, "cursor", lambda client: [_walk_cursor(client, HISTORY)] * 2, id="history cursor"),
        pytest.param(HISTORY_PATH, "program_uuid", lambda client: [str(PROGRAM)] * 2, id="history program_uuid"),
        pytest.param(HISTORY, "lms_user_id", lambda client: ["900", "900"], id="history lms_user_id"),
    ],
)
def test_a_parameter_given_twice_is_a_400(staff, url, name, values):
    for minutes in (1, 2):
        ProgramIntentFactory(lms_user_id=900, program_uuid=PROGRAM, effective_timestamp=at(minutes))
        ProgramIntentFactory(lms_user_id=900 + minutes, program_uuid=PROGRAM)
    given = values(staff)
    sep = "&" if "?" in url else "?"
    body = refused(staff.get(url + sep + urlencode([(name, value) for value in given])))
    assert body["error_code"] == "invalid_request"
    assert body["errors"] == {name: [TWICE]}
    # Once, the same value is good.
    ok(staff.get(url + sep + urlencode([(name, given[0])])))


def test_the_filters_may_still_be_repeated(staff, program):
    query = urlencode(
        [("certainty", YES), ("certainty", NO), ("reason", "BUNDLE_PURCHASE"), ("reason", "LEARNER_STATED")]
    )
    listed = ok(staff.get(f"{LEARNERS}?{query}"))["results"]
    assert listed == [representation(program[name]) for name in ("1_yes", "2_no")]


def test_a_parameter_given_twice_is_named_beside_the_other_faults(staff):
    body = refused(staff.get(f"{LEARNERS}?page_size=2&page_size=3&colour=blue&certainty=CERTAINLY"))
    assert body["errors"] == {
        "page_size": [TWICE],
        "colour": ["Unknown field."],
        "certainty": ['Item 1: "CERTAINLY" is not a valid choice.'],
    }


# A walk while writes are in flight


def test_a_walk_while_a_write_is_in_flight(staff):
    """
    A write stamps ``created`` before it commits. Its intents show on the pages read
    after its commit, not on those read before; each learner is listed at most once in
    one direction, and an intent stamped after the walk's time never shows.
    """
    for learner in (2, 4, 6):
        ProgramIntentFactory(lms_user_id=learner, program_uuid=PROGRAM, certainty=MAYBE)
    stamped = timezone.now()  # a write in flight checks its intents: created is stamped now
    first = ok(staff.get(LEARNERS, {"page_size": 2}))
    # The write commits during the walk: a new learner before the cursor (1) and after it (3
    # lies before the next page's start too), and a new current intent for learner 6.
    for learner in (1, 3, 6):
        key = IntentKey(
            lms_user_id=learner,
            program_uuid=PROGRAM,
            effective_timestamp=at(50),
            reason="BUNDLE_PURCHASE",
            certainty=YES,
        )
        insert_intent(key, recorded_at=stamped, using=DEFAULT_DB_ALIAS)
    # A write that began after the walk's first page: never part of the walk.
    late = services.record_intent(lms_user_id=5, program_uuid=PROGRAM, reason="BUNDLE_PURCHASE", certainty=YES)[0]
    second = ok(staff.get(first["next"]))
    assert second["next"] is None
    forward = [(r["lms_user_id"], r["certainty"]) for r in first["results"] + second["results"]]
    assert forward == [(2, MAYBE), (4, MAYBE), (6, YES)]
    # Back from the last page: the pages as they read now, learners 1 and 3 included.
    back = ok(staff.get(second["previous"]))
    before = ok(staff.get(back["previous"]))
    assert before["previous"] is None
    backward = [(r["lms_user_id"], r["certainty"]) for r in before["results"] + back["results"] + second["results"]]
    assert backward == [(1, YES), (2, MAYBE), (3, YES), (4, MAYBE), (6, YES)]
    assert late.created > decode_cursor(parse_qs(urlsplit(first["next"]).query)["cursor"][0], key_length=1).recorded_by
    assert 5 not in {r["lms_user_id"] for r in before["results"] + back["results"]}
    # A new walk sees every write.
    assert [r["lms_user_id"] for r in ok(staff.get(LEARNERS))["results"]] == [1, 2, 3, 4, 5, 6]


def test_a_history_walk_while_a_write_is_in_flight(learner):
    for minutes in (10, 20, 30):
        ProgramIntentFactory(lms_user_id=7, program_uuid=PROGRAM, effective_timestamp=at(minutes))
    stamped = timezone.now()
    first = ok(learner.get(HISTORY_PATH, {"program_uuid": PROGRAM, "page_size": 2}))
    # Committed now, stamped before the walk's time: one sorts before the cursor, one after it.
    for minutes in (40, 5):
        key = IntentKey(
            lms_user_id=7,
            program_uuid=PROGRAM,
            effective_timestamp=at(minutes),
            reason="LEARNER_STATED",
            certainty=MAYBE,
        )
        insert_intent(key, recorded_at=stamped, using=DEFAULT_DB_ALIAS)
    services.record_intent(lms_user_id=7, program_uuid=PROGRAM, reason="LEARNER_STATED", certainty=NO)
    second = ok(learner.get(first["next"]))
    times = [r["effective_timestamp"][11:16] for page in (first, second) for r in page["results"]]
    assert times == ["00:30", "00:20", "00:10", "00:05"]
    back = ok(learner.get(second["previous"]))
    assert [r["effective_timestamp"][11:16] for r in back["results"]] == ["00:30", "00:20"]
    assert [r["effective_timestamp"][11:16] for r in ok(learner.get(back["previous"]))["results"]] == ["00:40"]


# Query budgets


@pytest.mark.parametrize("learners", [3, 50])
def test_each_read_costs_a_few_queries_whatever_the_program(staff, learner, learners, django_assert_max_num_queries):
    for n in range(1, learners + 1):
        ProgramIntentFactory(lms_user_id=n, program_uuid=PROGRAM, certainty=MAYBE)
        ProgramIntentFactory(lms_user_id=n, program_uuid=PROGRAM, certainty=YES)
        ProgramIntentFactory(lms_user_id=7, program_uuid=PROGRAM, effective_timestamp=at(100 + n))
    staff.get(ENGAGEMENT)  # the staff user is stored by the first request
    learner.get(HISTORY)
    with django_assert_max_num_queries(2):
        ok(staff.get(ENGAGEMENT))
    with django_assert_max_num_queries(3):
        page = ok(staff.get(LEARNERS, {"page_size": 2}))
    with django_assert_max_num_queries(3):
        ok(staff.get(page["next"]))
    with django_assert_max_num_queries(2):
        ok(learner.get(HISTORY_PATH, {"program_uuid": PROGRAM, "page_size": 2}))


# Against the oracle, through HTTP


class TestWalkAgainstTheOracle(HypothesisTestCase):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        initial=st.lists(
            st.tuples(st.integers(1, 15), st.sampled_from(IntentCertainty.values), st.integers(0, 4)), max_size=30
        ),
        arriving=st.lists(
            st.tuples(st.integers(1, 20), st.sampled_from(IntentCertainty.values), st.integers(0, 4)), max_size=10
        ),
        page_size=st.integers(1, 4),
        certainty=st.none() | st.sampled_from(IntentCertainty.values),
    )
    def test_a_walk_through_the_pages(self, initial, arriving, page_size, certainty):
        staff = APIClient()
        staff.credentials(
            HTTP_AUTHORIZATION=f"JWT {mint_lms_jwt(lms_user_id=900, username='staff', administrator=True)}"
        )

        def add(learner, certainty, minutes, reason="BUNDLE_PURCHASE"):
            ProgramIntent.objects.get_or_create(
                lms_user_id=learner,
                program_uuid=PROGRAM,
                certainty=certainty,
                reason=reason,
                effective_timestamp=at(minutes),
            )

        for spec in initial:
            add(*spec)
        query = {"page_size": page_size, **({"certainty": certainty} if certainty else {})}
        started = timezone.now()
        pages = [ok(staff.get(LEARNERS, query))]
        pending = list(arriving)
        while pages[-1]["next"]:
            if pending:
                add(*pending.pop(0), reason=IntentReason.LEARNER_STATED)
            pages.append(ok(staff.get(pages[-1]["next"])))
        listed = [row for page in pages for row in page["results"]]

        existing = ProgramIntent.objects.filter(program_uuid=PROGRAM, created__lte=started)
        current = current_intents(list(existing), per="lms_user_id")
        expected = [
            representation(current[n])
            for n in sorted(current)
            if certainty is None or current[n].certainty == certainty
        ]
        assert listed == expected
        # Backwards from the last page, the same pages again.
        back = [pages[-1]]
        while back[-1]["previous"]:
            back.append(ok(staff.get(back[-1]["previous"])))
        assert [page["results"] for page in back][::-1] == [page["results"] for page in pages]
