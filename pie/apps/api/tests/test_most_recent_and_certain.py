"""GET /api/v1/program_intents/most_recent_and_certain/: a learner's intents, one per program."""

import uuid
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from pie.apps.core.tokens import mint_lms_jwt
from pie.apps.intents.tests.factories import ProgramIntentFactory
from pie.tests.support.api_clients import CREATE_URL, LIST_URL

pytestmark = pytest.mark.django_db

PROGRAM_A = uuid.UUID(int=0xA)
PROGRAM_B = uuid.UUID(int=0xB)
PROGRAM_C = uuid.UUID(int=0xC)


def at(day: int) -> datetime:
    return datetime(2024, 1, day, tzinfo=UTC)


@pytest.fixture
def intents_of_learner_7():
    """Program A: a later MAYBE after a CERTAIN_NO. Program B: one MAYBE. Program C: two CERTAIN_YES."""
    return {
        "a_certain_no": ProgramIntentFactory(
            lms_user_id=7, program_uuid=PROGRAM_A, certainty="CERTAIN_NO", effective_timestamp=at(2)
        ),
        "a_later_maybe": ProgramIntentFactory(
            lms_user_id=7, program_uuid=PROGRAM_A, certainty="MAYBE", effective_timestamp=at(9)
        ),
        "b_maybe": ProgramIntentFactory(
            lms_user_id=7, program_uuid=PROGRAM_B, certainty="MAYBE", effective_timestamp=at(5)
        ),
        "c_old_yes": ProgramIntentFactory(
            lms_user_id=7, program_uuid=PROGRAM_C, certainty="CERTAIN_YES", effective_timestamp=at(1)
        ),
        "c_new_yes": ProgramIntentFactory(
            lms_user_id=7,
            program_uuid=PROGRAM_C,
            certainty="CERTAIN_YES",
            reason="LEARNER_STATED",
            effective_timestamp=at(3),
        ),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [intent["id"] for intent in response.json()]


def test_one_intent_per_program_newest_first(learner, intents_of_learner_7):
    expected = [intents_of_learner_7[name].pk for name in ("b_maybe", "c_new_yes", "a_certain_no")]
    assert ids(learner.get(LIST_URL)) == expected


def test_each_intent_has_the_documented_shape(learner, intents_of_learner_7):
    intent = intents_of_learner_7["b_maybe"]
    first = learner.get(LIST_URL).json()[0]
    assert first == {
        "id": intent.pk,
        "lms_user_id": 7,
        "program_uuid": str(PROGRAM_B),
        "reason": intent.reason,
        "certainty": "MAYBE",
        "effective_timestamp": "2024-01-05T00:00:00Z",
        "created": intent.created.isoformat().replace("+00:00", "Z"),
    }


def test_the_slashless_path_answers_the_same(learner, intents_of_learner_7):
    assert ids(learner.get(LIST_URL.rstrip("/"))) == ids(learner.get(LIST_URL))


def test_a_learner_with_no_intents_gets_an_empty_list(learner):
    assert ids(learner.get(LIST_URL)) == []


def test_repeated_program_uuid_narrows_the_list(learner, intents_of_learner_7):
    response = learner.get(LIST_URL, {"program_uuid": [str(PROGRAM_A), str(PROGRAM_C), str(uuid.uuid4())]})
    assert ids(response) == [intents_of_learner_7["c_new_yes"].pk, intents_of_learner_7["a_certain_no"].pk]


def test_a_learner_never_sees_another_learners_intents(learner_client, intents_of_learner_7):
    ProgramIntentFactory(lms_user_id=8, program_uuid=PROGRAM_A, effective_timestamp=at(20))
    assert [intent["lms_user_id"] for intent in learner_client(8).get(LIST_URL).json()] == [8]
    assert all(intent["lms_user_id"] == 7 for intent in learner_client(7).get(LIST_URL).json())


def test_a_learner_may_not_read_another_learners_list(learner_client, intents_of_learner_7):
    response = learner_client(8).get(LIST_URL, {"lms_user_id": 7})
    assert response.status_code == 403
    assert response.json()["error_code"] == "forbidden_lms_user_id"


def test_a_learner_may_name_themselves(learner, intents_of_learner_7):
    assert len(ids(learner.get(LIST_URL, {"lms_user_id": 7}))) == 3


def test_staff_read_a_learners_list(staff, intents_of_learner_7):
    assert len(ids(staff.get(LIST_URL, {"lms_user_id": 7}))) == 3


def test_a_learner_given_twice_is_a_400_not_the_last_one(staff, intents_of_learner_7):
    response = staff.get(f"{LIST_URL}?lms_user_id=8&lms_user_id=7")
    assert response.status_code == 400
    assert response.json()["errors"] == {"lms_user_id": ["The parameter is given more than once; give it once."]}


@pytest.mark.parametrize("later_claim", [False, None], ids=["administrator false", "no administrator claim"])
def test_staff_rights_come_from_each_token_not_an_earlier_one(client_with_token, intents_of_learner_7, later_claim):
    earlier = client_with_token(mint_lms_jwt(lms_user_id=901, username="ops", administrator=True))
    assert earlier.get(LIST_URL, {"lms_user_id": 7}).status_code == 200
    later = client_with_token(mint_lms_jwt(lms_user_id=901, username="ops", administrator=later_claim))
    response = later.get(LIST_URL, {"lms_user_id": 7})
    assert response.status_code == 403
    assert response.json()["error_code"] == "forbidden_lms_user_id"


def test_a_token_without_user_id_is_403_not_500(client_with_token, intents_of_learner_7):
    client = client_with_token(mint_lms_jwt(lms_user_id=None, username="learner7"))
    response = client.get(LIST_URL)
    assert response.status_code == 403
    assert response.json()["error_code"] == "missing_lms_user_id"


def test_a_token_without_user_id_does_not_reuse_an_id_from_an_earlier_token(
    client_with_token, learner, intents_of_learner_7
):
    # learner7's first token set the local user's lms_user_id to 7; the claim-less token
    # for the same username must not inherit it.
    assert learner.get(LIST_URL).status_code == 200
    client = client_with_token(mint_lms_jwt(lms_user_id=None, username="learner7"))
    assert client.get(LIST_URL).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param({"program_uuid": "not-a-uuid"}, "program_uuid", id="bad uuid"),
        pytest.param({"program_uuid": ""}, "program_uuid", id="empty uuid"),
        pytest.param({"program_uuid": [str(PROGRAM_A), "x"]}, "program_uuid", id="one bad uuid of two"),
        pytest.param({"program_uuid": [str(uuid.uuid4()) for _ in range(101)]}, "program_uuid", id="too many"),
        pytest.param({"lms_user_id": "seven"}, "lms_user_id", id="bad lms_user_id"),
        pytest.param({"lms_user_id": 0}, "lms_user_id", id="lms_user_id zero"),
        pytest.param({"lms_user_id": 2**31}, "lms_user_id", id="lms_user_id too large"),
        pytest.param({"program_uuids": str(PROGRAM_A)}, "program_uuids", id="misspelt parameter"),
    ],
)
def test_bad_query_is_400_with_the_parameter_at_fault(learner, query, field):
    response = learner.get(LIST_URL, query)
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "invalid_request"
    assert list(body["errors"]) == [field]


def test_a_bad_uuid_among_several_names_its_position(learner):
    response = learner.get(LIST_URL, {"program_uuid": [str(PROGRAM_A), "x"]})
    assert response.json()["errors"]["program_uuid"] == ["Item 2: Must be a valid UUID."]


def test_unauthenticated_is_401():
    assert APIClient().get(LIST_URL).status_code == 401


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_list_is_read_only(learner, method):
    response = getattr(learner, method)(LIST_URL)
    assert response.status_code == 405
    assert response.json()["error_code"] == "method_not_allowed"


def test_head_answers_like_get(learner):
    assert learner.head(LIST_URL).status_code == 200


@pytest.mark.parametrize("programs", [1, 25])
def test_queries_do_not_grow_with_the_number_of_programs(learner, programs, django_assert_max_num_queries):
    for _ in range(programs):
        program = uuid.uuid4()
        ProgramIntentFactory(lms_user_id=7, program_uuid=program, certainty="MAYBE")
        ProgramIntentFactory(lms_user_id=7, program_uuid=program, certainty="CERTAIN_YES")
    learner.get(LIST_URL)  # creates the local user from the token
    # The user's lookup, then one query for all the programs together.
    with django_assert_max_num_queries(2):
        assert len(ids(learner.get(LIST_URL))) == programs


def test_monitoring_attributes_count_programs(learner, intents_of_learner_7, recorded_attributes):
    learner.get(LIST_URL, {"program_uuid": [str(PROGRAM_A), str(uuid.uuid4())]})
    assert recorded_attributes["pie_programs_requested"] == 2
    assert recorded_attributes["pie_programs_returned"] == 1
    assert recorded_attributes["pie_read_on_behalf"] is False
    learner.get(LIST_URL)
    assert (recorded_attributes["pie_programs_requested"], recorded_attributes["pie_programs_returned"]) == (0, 3)


def test_monitoring_attributes_say_when_staff_read_for_a_learner(staff, intents_of_learner_7, recorded_attributes):
    staff.get(LIST_URL, {"lms_user_id": 7})
    assert recorded_attributes["pie_read_on_behalf"] is True


def test_what_is_posted_is_read_back(learner, intent_body):
    created = learner.post(CREATE_URL, intent_body(), format="json").json()
    assert learner.get(LIST_URL).json() == [created]


@pytest.mark.parametrize("value", ["+6e1e5a3c1e384f0c9a443b9f1f0c6a2", "urn:uuid:6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e"])
def test_a_program_uuid_in_a_lenient_form_is_400(learner, value):
    response = learner.get(LIST_URL, {"program_uuid": value})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["program_uuid"]
