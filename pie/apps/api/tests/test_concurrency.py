"""Concurrent identical POSTs, on MariaDB/MySQL: the unique constraint settles the race."""

import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from pie.apps.core.tokens import mint_lms_jwt
from pie.apps.intents.models import ProgramIntent
from pie.tests.support.api_clients import CREATE_URL, LIST_URL

ROUNDS = 5


def together(token: str, request, writers: int) -> list:
    """``request(client)`` from ``writers`` threads released at once, each with a client of its own; their answers."""
    barrier = threading.Barrier(writers)
    answers = []

    def run():
        try:
            client = APIClient(HTTP_AUTHORIZATION=f"JWT {token}")
            barrier.wait(timeout=30)
            answers.append(request(client))
        finally:
            # Each thread has its own connection; close it so the test database can be dropped.
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def post_together(token: str, body: dict, writers: int = 2) -> list[tuple[int, dict]]:
    """POST ``body`` from ``writers`` threads released at once; return each (status, body)."""

    def post(client):
        response = client.post(CREATE_URL, body, format="json")
        return response.status_code, response.json()

    return together(token, post, writers)


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_posts_give_one_201_one_duplicate_and_one_row():
    token = mint_lms_jwt(lms_user_id=7, username="learner7")
    # Create the local user first, so the race is about the intent alone.
    assert APIClient(HTTP_AUTHORIZATION=f"JWT {token}").get(LIST_URL).status_code == 200
    for _ in range(ROUNDS):
        program = uuid.uuid4()
        body = {
            "program_uuid": str(program),
            "reason": "BUNDLE_PURCHASE",
            "certainty": "CERTAIN_YES",
            "effective_timestamp": "2024-01-01T00:00:00Z",
        }
        answers = post_together(token, body)
        assert sorted(status for status, _ in answers) == [201, 400]
        assert [answer["error_code"] for status, answer in answers if status == 400] == ["duplicate_intent"]
        assert ProgramIntent.objects.filter(program_uuid=program).count() == 1


def first_requests_together(token: str, writers: int) -> list[int]:
    """GET as a caller PIE does not know yet from ``writers`` threads released at once; return the statuses."""
    return together(token, lambda client: client.get(LIST_URL, {"lms_user_id": 7}).status_code, writers)


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_a_new_callers_concurrent_first_requests_all_pass_and_store_one_user():
    """The first requests of a caller PIE does not know yet race to store it: none is refused."""
    for round_ in range(ROUNDS * 4):
        username, lms_user_id = f"pipeline{round_}", 9000 + round_
        token = mint_lms_jwt(lms_user_id=lms_user_id, username=username, administrator=True)
        assert first_requests_together(token, writers=8) == [200] * 8
        assert get_user_model().objects.filter(username=username, lms_user_id=lms_user_id).count() == 1
