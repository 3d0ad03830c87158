"""PIE's JWT decode handler: every check edx-drf-extensions makes, each token decoded once per request."""

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from pie.apps.core import jwt_decode
from pie.apps.core.development_jwt import DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET
from pie.apps.core.jwt_decode import decode_token
from pie.tests.support.tokens import (
    development_private_key,
    lms_claims,
    sign_any_claims,
    sign_with_development_key,
)

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture(autouse=True)
def fresh_key_cache():
    jwt_decode._verification_keys.cache_clear()
    yield
    jwt_decode._verification_keys.cache_clear()


def test_a_good_token_gives_its_claims_with_the_librarys_defaults():
    claims = lms_claims()
    del claims["version"]
    payload = decode_token(sign_with_development_key(claims))
    assert (payload["user_id"], payload["version"], payload["is_restricted"], payload["filters"]) == (
        7,
        "1.0.0",
        False,
        [],
    )


@pytest.mark.parametrize(
    ("overrides", "accepted"),
    [
        pytest.param({"exp": -3}, True, id="expired within the leeway"),
        pytest.param({"exp": -30}, False, id="expired beyond the leeway"),
        pytest.param({"version": "1.9.9"}, True, id="a newer minor version"),
        pytest.param({"version": "2.0.0"}, False, id="a newer major version"),
    ],
)
def test_expiry_leeway_and_version_rule(overrides, accepted, settings):
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_LEEWAY": 10}
    claims, overrides = lms_claims(), dict(overrides)
    if "exp" in overrides:
        claims["exp"] = int(time.time()) + overrides.pop("exp")
    token = sign_with_development_key({**claims, **overrides})
    if accepted:
        assert decode_token(token)["user_id"] == 7
    else:
        with pytest.raises(jwt.InvalidTokenError):
            decode_token(token)


@pytest.mark.parametrize("missing", ["exp", "iat"])
def test_exp_and_iat_are_required(missing):
    claims = lms_claims()
    del claims[missing]
    with pytest.raises(jwt.MissingRequiredClaimError):
        decode_token(sign_with_development_key(claims))


def test_hs256_is_refused_where_the_issuer_has_no_secret(settings):
    issuer = {**settings.JWT_AUTH["JWT_ISSUERS"][0]}
    token = jwt.encode(lms_claims(), issuer["SECRET_KEY"], algorithm="HS256")
    assert decode_token(token)["user_id"] == 7
    for without in (
        {**issuer, "SECRET_KEY": None},
        {key: value for key, value in issuer.items() if key != "SECRET_KEY"},
    ):
        settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_ISSUERS": [without]}
        with pytest.raises(jwt.InvalidAlgorithmError):
            decode_token(token)


def test_a_token_is_verified_by_any_key_of_the_set_whatever_its_kid(settings):
    other = json.loads(RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()))
    development = json.loads(DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET)["keys"][0]
    settings.JWT_AUTH = {
        **settings.JWT_AUTH,
        "JWT_PUBLIC_SIGNING_JWK_SET": json.dumps({"keys": [{**other, "kid": "new"}, development]}),
    }
    token = jwt.encode(lms_claims(), development_private_key(), algorithm="RS512", headers={"kid": "new"})
    assert decode_token(token)["user_id"] == 7


@pytest.mark.parametrize("issuer", [["https://lms.example.com/oauth2"], 7, None], ids=["list", "number", "none"])
def test_an_issuer_that_is_not_a_configured_one_is_refused(issuer):
    with pytest.raises(jwt.InvalidIssuerError):
        decode_token(sign_any_claims(lms_claims(iss=issuer)))
