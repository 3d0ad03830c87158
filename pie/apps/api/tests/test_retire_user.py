"""POST /api/v1/retire_user/: who may retire a learner, what it removes, and what it refuses afterwards."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from pie.apps.core.tokens import mint_lms_jwt
from pie.apps.intents import services
from pie.apps.intents.models import ProgramIntent
from pie.tests.support.api_clients import CREATE_URL, LIST_URL

pytestmark = pytest.mark.django_db

RETIRE_URL = "/api/v1/retire_user/"
PROGRAM = uuid.UUID(int=1)
User = get_user_model()


@pytest.fixture
def worker(client_with_token, settings):
    """The retirement pipeline: the LMS's retirement service user (no administrator claim)."""
    return client_with_token(mint_lms_jwt(lms_user_id=901, username=settings.RETIREMENT_SERVICE_WORKER_USERNAME))


@pytest.fixture
def intents_of_5_and_6(learner_client, intent_body):
    for lms_user_id in (5, 6):
        for certainty in ("CERTAIN_YES", "MAYBE"):
            response = learner_client(lms_user_id).post(CREATE_URL, intent_body(certainty=certainty), format="json")
            assert response.status_code == 201
    assert User.objects.filter(lms_user_id__in=(5, 6)).count() == 2


def intents_by_learner() -> dict[int, int]:
    counts: dict[int, int] = {}
    for lms_user_id in ProgramIntent.objects.values_list("lms_user_id", flat=True):
        counts[lms_user_id] = counts.get(lms_user_id, 0) + 1
    return counts


class TestWhoMayRetire:
    @pytest.mark.usefixtures("intents_of_5_and_6")
    def test_the_retirement_worker_removes_exactly_that_learner(self, worker):
        response = worker.post(RETIRE_URL, {"lms_user_id": 5, "original_username": "learner5"}, format="json")
        assert response.status_code == 204
        assert response.content == b""
        assert intents_by_learner() == {6: 2}
        assert not User.objects.filter(lms_user_id=5).exists()
        assert User.objects.filter(lms_user_id=6).exists()

    @pytest.mark.usefixtures("intents_of_5_and_6")
    def test_a_superuser_token_may(self, client_with_token):
        superuser = client_with_token(mint_lms_jwt(lms_user_id=1, username="admin", extra_claims={"superuser": True}))
        assert superuser.post(RETIRE_URL, {"lms_user_id": 5}, format="json").status_code == 204
        assert intents_by_learner() == {6: 2}

    @pytest.mark.usefixtures("intents_of_5_and_6")
    def test_a_superuser_session_may(self):
        client = APIClient()
        client.force_login(User.objects.create_superuser(username="admin", password="x"))
        assert client.post(RETIRE_URL, {"lms_user_id": 5}, format="json").status_code == 204
        assert intents_by_learner() == {6: 2}

    @pytest.mark.usefixtures("intents_of_5_and_6")
    @pytest.mark.parametrize(
        "claims",
        [
            {"lms_user_id": 900, "username": "service_worker", "administrator": True},  # staff, not the worker
            {"lms_user_id": 5, "username": "learner5"},  # the learner themself
            {"lms_user_id": 1, "username": "admin", "extra_claims": {"superuser": "true"}},  # not the JSON true
        ],
        ids=["staff", "learner", "superuser-string"],
    )
    def test_others_are_refused_403_and_nothing_is_removed(self, client_with_token, claims):
        response = client_with_token(mint_lms_jwt(**claims)).post(RETIRE_URL, {"lms_user_id": 5}, format="json")
        assert response.status_code == 403
        assert response.json()["error_code"] == "permission_denied"
        assert intents_by_learner() == {5: 2, 6: 2}

    def test_a_staff_session_that_is_not_superuser_is_refused(self):
        client = APIClient()
        client.force_login(User.objects.create_user(username="staff", password="x", is_staff=True))
        assert client.post(RETIRE_URL, {"lms_user_id": 5}, format="json").status_code == 403

    @pytest.mark.usefixtures("intents_of_5_and_6")
    def test_anonymous_is_401(self):
        response = APIClient().post(RETIRE_URL, {"lms_user_id": 5}, format="json")
        assert response.status_code == 401
        assert response.json()["error_code"] == "not_authenticated"
        assert intents_by_learner() == {5: 2, 6: 2}


class TestTheCall:
    @pytest.mark.usefixtures("intents_of_5_and_6")
    def test_is_idempotent_and_answers_204_for_a_learner_pie_never_knew(self, worker):
        for _ in range(2):
            assert worker.post(RETIRE_URL, {"lms_user_id": 5}, format="json").status_code == 204
        assert worker.post(RETIRE_URL, {"lms_user_id": 123456}, format="json").status_code == 204
        assert intents_by_learner() == {6: 2}

    def test_answers_without_the_trailing_slash(self, worker):
        assert worker.post(RETIRE_URL.rstrip("/"), {"lms_user_id": 5}, format="json").status_code == 204

    @pytest.mark.parametrize(
        "body",
        [{}, {"lms_user_id": 0}, {"lms_user_id": -3}, {"lms_user_id": "five"}, {"lms_user_id": None}, [5], "5"],
        ids=["missing", "zero", "negative", "text", "null", "list", "string"],
    )
    def test_a_body_without_a_positive_lms_user_id_is_400(self, worker, body):
        response = worker.post(RETIRE_URL, body, format="json")
        assert response.status_code == 400
        assert response.json()["error_code"] == "invalid_request"

    @pytest.mark.parametrize("method", ["get", "put", "delete"])
    def test_other_methods_are_405(self, worker, method):
        assert getattr(worker, method)(RETIRE_URL).status_code == 405

    def test_is_in_the_schema(self):
        schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
        assert "post" in schema["paths"]["/api/v1/retire_user/"]


class TestRetiredStaysRetired:
    @pytest.mark.usefixtures("intents_of_5_and_6")
    def test_the_learner_s_post_is_refused_with_a_clear_400(self, worker, learner_client, intent_body):
        worker.post(RETIRE_URL, {"lms_user_id": 5}, format="json")
        response = learner_client(5).post(CREATE_URL, intent_body(), format="json")
        assert response.status_code == 400
        assert response.json()["error_code"] == "learner_retired"
        assert "retired" in response.json()["errors"]["lms_user_id"][0]
        assert learner_client(5).get(LIST_URL).json() == []
        assert intents_by_learner() == {6: 2}

    def test_staff_cannot_record_for_the_learner_either(self, worker, staff, intent_body):
        services.retire_learner(lms_user_id=5)
        response = staff.post(CREATE_URL, intent_body(lms_user_id=5), format="json")
        assert response.status_code == 400
        assert response.json()["error_code"] == "learner_retired"
        assert not ProgramIntent.objects.exists()

    def test_the_bulk_endpoint_rejects_the_learner_s_items_by_index(self, worker, staff):
        worker.post(RETIRE_URL, {"lms_user_id": 5}, format="json")
        body = {
            "intents": [
                {
                    "lms_user_id": lms_user_id,
                    "program_uuid": str(PROGRAM),
                    "reason": "BUNDLE_PURCHASE",
                    "certainty": "CERTAIN_YES",
                    "effective_timestamp": "2024-07-01T00:00:00Z",
                }
                for lms_user_id in (4, 5, 6)
            ]
        }
        response = staff.post(f"{CREATE_URL}bulk/", body, format="json")
        assert response.status_code == 200
        answer = response.json()
        assert (answer["created"], answer["duplicates"]) == (2, 0)
        assert [rejected["index"] for rejected in answer["rejected"]] == [1]
        assert "retired" in answer["rejected"][0]["errors"]["lms_user_id"][0]
        assert intents_by_learner() == {4: 1, 6: 1}


class TestNothingOfTheLearnerIsStoredAgain:
    """What retirement leaves behind: no local user, whatever token or sign-in comes later."""

    def test_a_token_without_user_id_stores_no_user_when_it_is_refused(self, client_with_token, intent_body):
        client = client_with_token(mint_lms_jwt(lms_user_id=None, username="learner5", email="l5@example.com"))
        assert client.get(LIST_URL).json()["error_code"] == "missing_lms_user_id"
        assert client.post(CREATE_URL, intent_body(), format="json").json()["error_code"] == "missing_lms_user_id"
        assert not User.objects.filter(username="learner5").exists()

    def test_a_service_token_without_user_id_still_gets_its_user(self, client_with_token, intent_body, settings):
        staff = client_with_token(mint_lms_jwt(lms_user_id=None, username="pipeline", administrator=True))
        assert staff.post(CREATE_URL, intent_body(lms_user_id=8), format="json").status_code == 201
        worker = client_with_token(mint_lms_jwt(lms_user_id=None, username=settings.RETIREMENT_SERVICE_WORKER_USERNAME))
        assert worker.post(RETIRE_URL, {"lms_user_id": 8}, format="json").status_code == 204
        assert set(User.objects.values_list("username", flat=True)) == {
            "pipeline",
            settings.RETIREMENT_SERVICE_WORKER_USERNAME,
        }

    def test_retirement_deletes_a_user_stored_without_an_lms_id_by_original_username(self, worker):
        User.objects.create(username="learner5", email="l5@example.com")  # as an older PIE stored it
        User.objects.create(username="learner6", email="l6@example.com")
        assert (
            worker.post(RETIRE_URL, {"lms_user_id": 5, "original_username": "learner5"}, format="json").status_code
            == 204
        )
        remaining = User.objects.filter(username__startswith="learner").values_list("username", flat=True)
        assert list(remaining) == ["learner6"]

    def test_a_still_valid_token_does_not_bring_the_learner_back(self, worker, learner_client, intent_body):
        learner = learner_client(5, email="l5@example.com")
        assert learner.post(CREATE_URL, intent_body(), format="json").status_code == 201
        assert worker.post(RETIRE_URL, {"lms_user_id": 5}, format="json").status_code == 204

        assert learner.get(LIST_URL).json() == []
        refused = learner.post(CREATE_URL, intent_body(), format="json")
        assert (refused.status_code, refused.json()["error_code"]) == (400, "learner_retired")
        assert not User.objects.filter(username="learner5").exists()
        assert not User.objects.filter(lms_user_id=5).exists()
