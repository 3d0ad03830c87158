"""Building tokens for the tests: valid ones through mint_lms_jwt, hostile ones by hand."""

import json
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from pie.apps.core.development_jwt import load_development_private_jwk

DEVSTACK_ISSUER = "http://localhost:18000/oauth2"
DEVSTACK_AUDIENCE = "lms-key"
DEVSTACK_SECRET = "lms-secret"


def lms_claims(*, lms_user_id: int | None = 7, username: str = "learner7", **overrides) -> dict:
    """The claims of an LMS access token, valid for an hour; ``overrides`` replace or add claims."""
    now = int(time.time())
    claims = {
        "iss": DEVSTACK_ISSUER,
        "aud": DEVSTACK_AUDIENCE,
        "iat": now,
        "exp": now + 3600,
        "preferred_username": username,
        "administrator": False,
        "email": f"{username}@example.com",
        "version": "1.2.0",
        "scopes": ["user_id", "email", "profile"],
        "filters": [],
    }
    if lms_user_id is not None:
        claims["user_id"] = lms_user_id
    claims.update(overrides)
    return claims


def development_private_key():
    """The development RSA private key of the test settings, as a cryptography key."""
    return jwt.PyJWK(load_development_private_jwk()).key


def sign_with_development_key(claims: dict, *, algorithm: str = "RS256") -> str:
    return jwt.encode(claims, development_private_key(), algorithm=algorithm)


def sign_any_claims(claims: dict, *, algorithm: str = "RS256") -> str:
    """Signed with the development key, whatever the claims hold (PyJWT's encode refuses some values)."""
    return jwt.api_jws.PyJWS().encode(json.dumps(claims).encode(), development_private_key(), algorithm=algorithm)


def sign_with_devstack_secret(claims: dict) -> str:
    assert settings.JWT_AUTH["JWT_ISSUERS"][0]["SECRET_KEY"] == DEVSTACK_SECRET
    return jwt.encode(claims, DEVSTACK_SECRET, algorithm="HS256")


def sign_with_a_stranger_key(claims: dict, *, algorithm: str = "RS256") -> str:
    """Signed by an RSA key the service has never heard of."""
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, stranger, algorithm=algorithm)


def unsigned(claims: dict) -> str:
    """An ``alg: none`` token: a header, the claims, and an empty signature."""
    return jwt.encode(claims, None, algorithm="none")


def tampered(token: str, **claims) -> str:
    """``token`` with its payload replaced by ``claims`` but its original signature kept."""
    header, _, signature = token.split(".")
    forged_payload = jwt.encode(claims, None, algorithm="none").split(".")[1]
    return f"{header}.{forged_payload}.{signature}"
