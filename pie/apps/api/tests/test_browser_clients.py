"""
Micro-frontends on another origin, at the HTTP level: CORS, the edX JWT cookie and CSRF.

The clients enforce CSRF checks as a browser's requests meet them (Django's test client
skips them unless told otherwise, and edx-drf-extensions honours that).
"""

import pytest
from rest_framework.test import APIClient

from pie.apps.api.tests.browser_clients import (
    CSRF_URL,
    FOREIGN_ORIGIN,
    MFE_HEADERS,
    browser_client,
    cors_headers,
    csrf_token,
)
from pie.apps.api.tests.mfe import MFE_ORIGIN
from pie.apps.core.tokens import mint_lms_jwt
from pie.apps.intents import services
from pie.apps.intents.models import ProgramIntent
from pie.tests.support.api_clients import CREATE_URL, LIST_URL

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("url", "method"), [(LIST_URL, "GET"), (CREATE_URL, "POST"), (CSRF_URL, "GET")])
def test_a_preflight_from_the_mfe_origin_is_allowed_without_credentials(url, method):
    response = APIClient().options(
        url,
        HTTP_ORIGIN=MFE_ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=", ".join(MFE_HEADERS),
    )

    assert response.status_code == 200
    headers = cors_headers(response)
    assert headers["access-control-allow-origin"] == MFE_ORIGIN
    assert headers["access-control-allow-credentials"] == "true"
    assert set(MFE_HEADERS) <= {name.strip() for name in headers["access-control-allow-headers"].split(",")}
    assert method in {name.strip() for name in headers["access-control-allow-methods"].split(",")}


def test_a_foreign_origin_gets_no_cors_headers():
    preflight = APIClient().options(
        LIST_URL,
        HTTP_ORIGIN=FOREIGN_ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=", ".join(MFE_HEADERS),
    )
    read = browser_client(origin=FOREIGN_ORIGIN).get(LIST_URL)

    assert cors_headers(preflight) == {}
    assert read.status_code == 200  # the server answers; the browser withholds it from the foreign page
    assert cors_headers(read) == {}


def test_the_cookie_get_from_the_mfe_origin_lists_the_learners_intents_with_cors_headers(intent_body):
    intent, _ = services.record_intent(lms_user_id=7, **intent_body(effective_timestamp=None))
    services.record_intent(lms_user_id=8, **intent_body(effective_timestamp=None))

    response = browser_client().get(LIST_URL)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [intent.id]
    assert cors_headers(response) == {
        "access-control-allow-origin": MFE_ORIGIN,
        "access-control-allow-credentials": "true",
    }


def test_a_cookie_post_without_the_csrf_token_is_refused_and_writes_nothing(intent_body, recorded_attributes):
    client = browser_client()
    csrf_token(client)  # the CSRF cookie is there; the header is not

    response = client.post(CREATE_URL, intent_body(), format="json")

    # edx-drf-extensions forgives the cookie's failed CSRF check (the cookie then does not
    # authenticate), so the answer is its 401, with the reason in the monitoring attributes.
    assert response.status_code == 401
    assert response.json()["error_code"] == "not_authenticated"
    assert "CSRF Failed" in recorded_attributes["jwt_auth_failed"]
    assert cors_headers(response)["access-control-allow-origin"] == MFE_ORIGIN
    assert not ProgramIntent.objects.exists()


def test_a_cookie_post_from_a_foreign_origin_is_refused_even_with_the_token(intent_body, recorded_attributes):
    client = browser_client(origin=FOREIGN_ORIGIN)
    token = csrf_token(client)

    response = client.post(CREATE_URL, intent_body(), format="json", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 401
    assert "does not match any trusted origins" in recorded_attributes["jwt_auth_failed"]
    assert cors_headers(response) == {}
    assert not ProgramIntent.objects.exists()


def test_a_cookie_post_with_the_csrf_token_from_the_mfe_origin_records_the_intent(intent_body):
    client = browser_client()
    token = csrf_token(client)

    response = client.post(CREATE_URL, intent_body(), format="json", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201
    assert response.json()["lms_user_id"] == 7
    assert cors_headers(response)["access-control-allow-origin"] == MFE_ORIGIN
    assert ProgramIntent.objects.get().lms_user_id == 7


def test_a_header_authenticated_post_from_the_mfe_origin_needs_no_csrf_token(intent_body):
    client = browser_client(jwt_cookie_for=None)
    token = mint_lms_jwt(lms_user_id=7, username="learner7")

    response = client.post(CREATE_URL, intent_body(), format="json", HTTP_AUTHORIZATION=f"JWT {token}")

    assert response.status_code == 201
    assert cors_headers(response)["access-control-allow-origin"] == MFE_ORIGIN
    assert ProgramIntent.objects.get().lms_user_id == 7


def test_the_csrf_token_comes_with_pies_own_lax_cookie():
    client = APIClient()

    response = client.get(CSRF_URL)

    cookie = response.cookies["pie_csrftoken"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert response.json()["csrfToken"]


def test_the_csrf_token_path_is_the_librarys_without_a_slash_ended_twin():
    response = APIClient().get(f"{CSRF_URL}/")
    assert (response.status_code, response.json()["error_code"]) == (404, "not_found")
