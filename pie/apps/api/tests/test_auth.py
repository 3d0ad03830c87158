"""Open edX JWT authentication: which tokens are accepted, which are refused, and what claims do."""

import jwt
import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from pie.apps.core.tokens import mint_lms_jwt
from pie.tests.support.api_clients import LIST_URL
from pie.tests.support.tokens import (
    lms_claims,
    sign_with_a_stranger_key,
    sign_with_development_key,
    sign_with_devstack_secret,
    tampered,
    unsigned,
)

pytestmark = [
    pytest.mark.django_db,
    # The devstack secret "lms-secret" is short; it is what the devstack LMS uses.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

User = get_user_model()


def get_list(client):
    return client.get(LIST_URL)


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: mint_lms_jwt(lms_user_id=7, username="learner7"), id="mint_jwt RS512"),
        pytest.param(lambda: sign_with_development_key(lms_claims(), algorithm="RS256"), id="RS256"),
        pytest.param(lambda: sign_with_development_key(lms_claims(), algorithm="RS512"), id="RS512"),
        pytest.param(lambda: sign_with_devstack_secret(lms_claims()), id="HS256 devstack secret"),
    ],
)
def test_tokens_signed_with_a_configured_key_are_accepted(client_with_token, make_token):
    response = get_list(client_with_token(make_token()))
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: sign_with_a_stranger_key(lms_claims()), id="unknown RSA key"),
        pytest.param(lambda: sign_with_a_stranger_key(lms_claims(), algorithm="RS512"), id="unknown RSA key RS512"),
        pytest.param(lambda: jwt.encode(lms_claims(), "not-the-secret", "HS256"), id="wrong HS256 secret"),
        pytest.param(lambda: unsigned(lms_claims()), id="alg none"),
        pytest.param(
            lambda: tampered(sign_with_development_key(lms_claims()), **lms_claims(administrator=True)),
            id="payload changed after signing",
        ),
        pytest.param(lambda: sign_with_development_key(lms_claims(exp=1_000_000_000, iat=999_990_000)), id="expired"),
        pytest.param(lambda: sign_with_development_key(lms_claims(iss="https://evil.example.com/oauth2")), id="issuer"),
        pytest.param(lambda: sign_with_development_key(lms_claims(aud="another-service")), id="audience"),
        pytest.param(lambda: sign_with_development_key(lms_claims(version="2.0.0")), id="unsupported version"),
        pytest.param(lambda: "not.a.jwt", id="garbage"),
    ],
)
def test_bad_tokens_are_refused_with_401(client_with_token, make_token):
    response = get_list(client_with_token(make_token()))
    assert response.status_code == 401
    assert response.json()["error_code"] == "authentication_failed"
    assert response.headers["WWW-Authenticate"] == 'JWT realm="api"'
    assert not User.objects.exists()


def test_no_credentials_is_401_not_authenticated():
    response = get_list(APIClient())
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "error_code": "not_authenticated",
    }


def test_a_token_without_a_username_is_refused(client_with_token):
    claims = lms_claims()
    del claims["preferred_username"]
    response = get_list(client_with_token(sign_with_development_key(claims)))
    assert response.status_code == 401


def test_a_restricted_application_token_is_forbidden(client_with_token):
    token = sign_with_development_key(lms_claims(is_restricted=True))
    response = get_list(client_with_token(token))
    assert response.status_code == 403
    assert response.json()["error_code"] == "permission_denied"


def test_claims_are_mapped_onto_the_local_user(client_with_token):
    token = sign_with_development_key(lms_claims(lms_user_id=42, username="ada", email="ada@example.org"))
    assert get_list(client_with_token(token)).status_code == 200
    user = User.objects.get(username="ada")
    assert (user.lms_user_id, user.email, user.is_staff) == (42, "ada@example.org", False)

    admin_token = sign_with_development_key(lms_claims(lms_user_id=42, username="ada", administrator=True))
    assert get_list(client_with_token(admin_token)).status_code == 200
    user.refresh_from_db()
    assert user.is_staff is True


def test_the_edx_jwt_cookie_authenticates():
    header_and_payload, _, signature = mint_lms_jwt(lms_user_id=7, username="learner7").rpartition(".")
    client = APIClient()
    client.cookies["edx-jwt-cookie-header-payload"] = header_and_payload
    client.cookies["edx-jwt-cookie-signature"] = signature
    response = get_list(client)
    assert response.status_code == 200
    assert User.objects.get().lms_user_id == 7


def test_a_forged_edx_jwt_cookie_is_not_accepted():
    header_and_payload, _, _ = mint_lms_jwt(lms_user_id=7, username="learner7").rpartition(".")
    client = APIClient()
    client.cookies["edx-jwt-cookie-header-payload"] = header_and_payload
    client.cookies["edx-jwt-cookie-signature"] = "forged"
    assert get_list(client).status_code == 401


def test_session_authentication_serves_logged_in_users():
    user = User.objects.create_user(username="operator", password="pw", lms_user_id=5)
    client = APIClient()
    client.force_login(user)
    response = get_list(client)
    assert response.status_code == 200


def test_without_a_public_key_set_every_token_is_refused(settings, client_with_token):
    # edx-drf-extensions alone would accept any signature here (see the next test); PIE's
    # decode handler refuses instead.
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_PUBLIC_SIGNING_JWK_SET": None}
    for token in (sign_with_a_stranger_key(lms_claims()), mint_lms_jwt(lms_user_id=7, username="learner7")):
        assert get_list(client_with_token(token)).status_code == 401


def test_why_the_guard_exists_edx_decoder_accepts_forgeries_without_a_key_set(settings):
    """
    Pins the edx-drf-extensions 10.9 behaviour that the system check and the guard exist for.

    If this starts failing, the library has fixed the hole: the guard may go.
    """
    from edx_rest_framework_extensions.auth.jwt.decoder import jwt_decode_handler

    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_PUBLIC_SIGNING_JWK_SET": None}
    assert jwt_decode_handler(sign_with_a_stranger_key(lms_claims()))["user_id"] == 7


def test_a_user_id_already_claimed_by_another_username_is_refused(client_with_token):
    # PIE's lms_user_id is unique: a second local user may not claim the same learner.
    User.objects.create_user(username="old_name", lms_user_id=7)
    token = sign_with_development_key(lms_claims(lms_user_id=7, username="new_name"))
    assert get_list(client_with_token(token)).status_code == 401


@pytest.mark.parametrize("header", ["JWT", "JWT a b", "Bearer abc", "JWT \u00e9t\u00e9", "Basic dTpw"])
def test_a_malformed_or_foreign_authorization_header_is_401_never_500(header):
    response = APIClient(HTTP_AUTHORIZATION=header).get(LIST_URL)
    assert response.status_code == 401
    assert response.json()["error_code"] == "not_authenticated"


@pytest.mark.parametrize(
    "version", ["garbage", "1.2", "", 1.2, 1, None, ["1.2.0"], {"major": 1}], ids=lambda value: repr(value)
)
def test_a_version_claim_that_is_not_a_version_is_401(client_with_token, version):
    from pie.tests.support.tokens import sign_any_claims

    response = get_list(client_with_token(sign_any_claims(lms_claims(version=version))))
    assert response.status_code == 401
    assert response.json()["error_code"] == "authentication_failed"
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"user_id": True}, id="user_id true"),
        pytest.param({"user_id": "7"}, id="user_id as text"),
        pytest.param({"user_id": 0}, id="user_id zero"),
        pytest.param({"user_id": 2**31}, id="user_id too large"),
        pytest.param({"user_id": 7.0}, id="user_id a float"),
        pytest.param({"administrator": "yes"}, id="administrator as text"),
        pytest.param({"administrator": 1}, id="administrator a number"),
        pytest.param({"email": ["a@example.com"]}, id="email a list"),
        pytest.param({"preferred_username": 7}, id="username a number"),
        pytest.param({"preferred_username": "x" * 151}, id="username too long"),
    ],
)
def test_odd_claim_values_are_refused_before_anything_is_stored(client_with_token, claims):
    from pie.tests.support.tokens import sign_any_claims

    response = get_list(client_with_token(sign_any_claims(lms_claims(lms_user_id=1, username="odd", **claims))))
    assert response.status_code == 401
    assert not User.objects.exists()
    # Learner 1 is not locked out by what the odd token tried to store.
    assert (
        get_list(client_with_token(sign_with_development_key(lms_claims(lms_user_id=1, username="one")))).status_code
        == 200
    )
    assert User.objects.get().lms_user_id == 1
