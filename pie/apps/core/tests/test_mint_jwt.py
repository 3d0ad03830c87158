"""manage.py mint_jwt: a token the running service accepts, minted without an LMS."""

import io

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.core.management.base import CommandError
from jwt.algorithms import RSAAlgorithm
from rest_framework.test import APIClient

from pie.apps.intents.models import ProgramIntent


def mint(*args: str) -> str:
    out = io.StringIO()
    call_command("mint_jwt", *args, stdout=out)
    return out.getvalue().strip()


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_the_token_carries_the_lms_claims():
    token = mint("--lms-user-id", "42", "--username", "ada")
    claims = claims_of(token)
    assert jwt.get_unverified_header(token)["alg"] == "RS512"
    assert claims["user_id"] == 42
    assert claims["preferred_username"] == "ada"
    assert claims["email"] == "ada@example.com"
    assert claims["administrator"] is False
    assert (claims["iss"], claims["aud"]) == ("http://localhost:18000/oauth2", "lms-key")
    assert claims["exp"] - claims["iat"] == 3600


def test_options_set_administrator_and_lifetime():
    claims = claims_of(mint("--lms-user-id", "1", "--administrator", "--expires-in", "60"))
    assert claims["administrator"] is True
    assert claims["preferred_username"] == "learner1"
    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.django_db
def test_a_minted_token_works_end_to_end():
    client = APIClient(HTTP_AUTHORIZATION=f"JWT {mint('--lms-user-id', '42')}")
    body = {"program_uuid": "6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e", "reason": "LEARNER_STATED", "certainty": "MAYBE"}
    created = client.post("/api/v1/program_intents/", body, format="json")
    assert created.status_code == 201
    assert ProgramIntent.objects.get().lms_user_id == 42
    assert client.get("/api/v1/program_intents/most_recent_and_certain").json() == [created.json()]


@pytest.mark.parametrize("value", [None, "", '{"kty": "RSA"}'])
def test_it_refuses_without_a_signing_key(settings, value):
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_PRIVATE_SIGNING_JWK": value}
    with pytest.raises(CommandError, match="JWT_PRIVATE_SIGNING_JWK"):
        mint("--lms-user-id", "1")


def test_it_refuses_a_key_the_service_would_not_trust(settings):
    other = RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_PRIVATE_SIGNING_JWK": other}
    with pytest.raises(CommandError, match="does not verify"):
        mint("--lms-user-id", "1")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="no user id"),
        pytest.param(["--lms-user-id", "0"], id="zero"),
        pytest.param(["--lms-user-id", "x"], id="not a number"),
        pytest.param(["--lms-user-id", "1", "--expires-in", "0"], id="no lifetime"),
    ],
)
def test_bad_arguments_are_refused(args):
    with pytest.raises(CommandError):
        mint(*args)


def test_an_lms_user_id_beyond_the_lms_range_is_refused():
    with pytest.raises(CommandError, match="at most"):
        mint("--lms-user-id", str(2**31))
