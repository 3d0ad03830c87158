"""The pie.E00x system checks: no configuration under which signatures go unchecked."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from jwt.algorithms import RSAAlgorithm

from pie.apps.core.checks import check_jwt_configuration
from pie.apps.core.development_jwt import DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET, DEVSTACK_JWT_ISSUER

# Another RSA public key (not the development key): what production would configure.
LMS_PUBLIC_JWK_SET = json.dumps(
    {
        "keys": [
            {
                "kty": "RSA",
                "kid": "lms-2024",
                "use": "sig",
                "e": "AQAB",
                "n": json.loads(DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET)["keys"][0]["n"][::-1],
            }
        ]
    }
)
LMS_ISSUER = {"ISSUER": "https://lms.example.com/oauth2", "AUDIENCE": "lms-key", "SECRET_KEY": None}


def ids(messages) -> list[str]:
    return sorted(message.id for message in messages)


@pytest.fixture
def production_like(settings):
    """Sound production-like settings: the LMS's keys, development keys not allowed."""
    settings.PIE_JWT_ALLOW_DEVELOPMENT_KEYS = False
    settings.JWT_AUTH = {
        **settings.JWT_AUTH,
        "JWT_ISSUERS": [LMS_ISSUER],
        "JWT_PUBLIC_SIGNING_JWK_SET": LMS_PUBLIC_JWK_SET,
    }
    return settings


def with_jwt_auth(settings, **values):
    settings.JWT_AUTH = {**settings.JWT_AUTH, **values}


def test_the_test_settings_pass():
    assert check_jwt_configuration() == []


def test_sound_production_settings_pass(production_like):
    assert check_jwt_configuration() == []


@pytest.mark.parametrize(
    "jwk_set",
    [
        pytest.param(None, id="unset"),
        pytest.param("", id="empty string"),
        pytest.param('{"keys": []}', id="no keys"),
        pytest.param("{not json", id="not JSON"),
        pytest.param('{"keys": [{"kty": "RSA"}]}', id="a key without its numbers"),
        pytest.param({"keys": []}, id="a mapping, not JSON text"),
    ],
)
def test_a_missing_empty_or_unusable_key_set_is_an_error(production_like, jwk_set):
    with_jwt_auth(production_like, JWT_PUBLIC_SIGNING_JWK_SET=jwk_set)
    messages = check_jwt_configuration()
    assert ids(messages) == ["pie.E001"]
    assert "JWT_PUBLIC_SIGNING_JWK_SET" in messages[0].msg


def test_a_missing_jwt_auth_setting_is_an_error(settings):
    del settings.JWT_AUTH
    assert ids(check_jwt_configuration()) == ["pie.E001", "pie.E002"]


@pytest.mark.parametrize(
    "issuers",
    [None, [], [{"ISSUER": "https://lms.example.com/oauth2"}], ["https://lms.example.com/oauth2"]],
)
def test_issuers_must_name_an_issuer_and_audience(production_like, issuers):
    with_jwt_auth(production_like, JWT_ISSUERS=issuers)
    assert ids(check_jwt_configuration()) == ["pie.E002"]


def test_the_published_development_key_is_refused_outside_local_and_test(production_like):
    with_jwt_auth(production_like, JWT_PUBLIC_SIGNING_JWK_SET=DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET)
    assert ids(check_jwt_configuration()) == ["pie.E003"]


def test_the_devstack_secret_is_refused_outside_local_and_test(production_like):
    with_jwt_auth(production_like, JWT_ISSUERS=[DEVSTACK_JWT_ISSUER])
    assert ids(check_jwt_configuration()) == ["pie.E003"]


def test_a_private_key_in_the_public_set_is_an_error(production_like):
    private = json.loads(RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    with_jwt_auth(production_like, JWT_PUBLIC_SIGNING_JWK_SET=json.dumps({"keys": [private]}))
    messages = check_jwt_configuration()
    assert ids(messages) == ["pie.E004"]
    assert messages[0].is_serious()


@pytest.mark.parametrize("secret", [12345, ["lms-secret"], {"k": "v"}], ids=["number", "list", "mapping"])
def test_an_hs256_secret_that_is_not_text_is_an_error(production_like, secret):
    with_jwt_auth(production_like, JWT_ISSUERS=[{**LMS_ISSUER, "SECRET_KEY": secret}])
    assert ids(check_jwt_configuration()) == ["pie.E002"]


@pytest.mark.parametrize("issuer", [{**LMS_ISSUER, "SECRET_KEY": None}, {"ISSUER": "i", "AUDIENCE": "a"}], ids=str)
def test_an_issuer_without_a_secret_is_sound(production_like, issuer):
    with_jwt_auth(production_like, JWT_ISSUERS=[issuer])
    assert check_jwt_configuration() == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        pytest.param(
            "JWT_PUBLIC_SIGNING_JWK_SET", json.dumps([{"kty": "RSA", "n": "x", "e": "AQAB"}]), id="set-as-list"
        ),
        pytest.param("JWT_ISSUERS", {"ISSUER": "https://lms.example.com/oauth2", "AUDIENCE": "lms-key"}, id="mapping"),
        pytest.param("JWT_ISSUERS", ["https://lms.example.com/oauth2"], id="issuers-as-strings"),
    ],
)
def test_a_configuration_shape_that_cannot_work_is_an_error_and_a_401_at_request_time(
    production_like, client, setting, value
):
    from pie.tests.support.tokens import lms_claims, sign_with_development_key

    production_like.PIE_JWT_ALLOW_DEVELOPMENT_KEYS = True
    with_jwt_auth(production_like, **{setting: value})
    assert any(message.is_serious() for message in check_jwt_configuration())
    token = sign_with_development_key(lms_claims())
    response = client.get("/api/v1/program_intents/most_recent_and_certain/", HTTP_AUTHORIZATION=f"JWT {token}")
    assert response.status_code == 401
    assert response.json()["error_code"] == "authentication_failed"


def test_manage_py_check_fails_without_a_key_set(production_like):
    with_jwt_auth(production_like, JWT_PUBLIC_SIGNING_JWK_SET=None)
    with pytest.raises(SystemCheckError, match=r"pie\.E001"):
        call_command("check")


def salt_check_ids(settings, salts, *, allow_development=False) -> list[str]:
    from pie.apps.core.checks import check_retirement_salts

    settings.PIE_RETIREMENT_SALTS = salts
    settings.PIE_ALLOW_DEVELOPMENT_RETIREMENT_SALT = allow_development
    return ids(check_retirement_salts())


@pytest.mark.parametrize(
    "salts",
    [["development-only-retirement-salt"], ["a-secret", "development-only-retirement-salt"]],
    ids=["current", "an earlier one"],
)
def test_the_published_development_salt_is_refused_outside_local_and_test(settings, salts):
    assert salt_check_ids(settings, salts) == ["pie.E011"]
    assert salt_check_ids(settings, salts, allow_development=True) == []


@pytest.mark.parametrize("salts", [[], [""], ["   "], ["a-secret", "\t"], "a-secret"], ids=repr)
def test_a_missing_blank_or_unlisted_salt_is_an_error(settings, salts):
    assert salt_check_ids(settings, salts) == ["pie.E010"]


def test_a_secret_salt_passes(settings):
    assert salt_check_ids(settings, ["0f3c0a1b2d", "an-earlier-secret"]) == []
