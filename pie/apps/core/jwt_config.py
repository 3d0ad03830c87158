"""
What a JWT configuration must hold for signatures to be checked.

edx-drf-extensions 10.9 verifies a token's signature against
``JWT_AUTH['JWT_PUBLIC_SIGNING_JWK_SET']`` (and the first issuer's HS256 secret); when the
set is unset it checks nothing, and any signature, even ``alg: none``, passes. These
rules back the ``pie.E00x`` system checks (``checks.py``); because a WSGI server runs no
system checks, ``jwt_decode.py`` also refuses every token while the key set is unusable.
"""

import json
from dataclasses import dataclass

from jwt import PyJWKSet, PyJWTError

from pie.apps.core.development_jwt import DEVSTACK_JWT_ISSUER, load_development_private_jwk


@dataclass(frozen=True, slots=True)
class JwtConfigurationProblem:
    """One problem: a system-check id (``pie.E001``...), what is wrong, and how to fix it."""

    id: str
    message: str
    hint: str
    is_error: bool = True


def jwt_configuration_problems(jwt_auth: dict | None, *, allow_development_keys: bool) -> list[JwtConfigurationProblem]:
    """Return every problem of ``jwt_auth`` (a ``JWT_AUTH`` setting); an empty list means sound."""
    jwt_auth = jwt_auth or {}
    problems = _jwk_set_problems(jwt_auth.get("JWT_PUBLIC_SIGNING_JWK_SET"), allow_development_keys)
    problems.extend(_issuer_problems(jwt_auth.get("JWT_ISSUERS"), allow_development_keys))
    return problems


def _jwk_set_problems(jwk_set, allow_development_keys: bool) -> list[JwtConfigurationProblem]:
    hint = (
        "Set JWT_AUTH['JWT_PUBLIC_SIGNING_JWK_SET'] to the LMS's public signing keys, a JSON "
        'JWK set such as {"keys": [{"kty": "RSA", "kid": "...", "n": "...", "e": "AQAB"}]} '
        "(production: the JWT_PUBLIC_SIGNING_JWK_SET environment variable or the PIE_CFG file)."
    )
    if not jwk_set:
        return [
            JwtConfigurationProblem(
                "pie.E001",
                "JWT_AUTH['JWT_PUBLIC_SIGNING_JWK_SET'] is missing or empty: edx-drf-extensions would accept "
                "JWTs with any signature.",
                hint,
            )
        ]
    try:
        # A JSON string, as edx-drf-extensions reads it (PyJWKSet.from_json).
        keys = json.loads(jwk_set)["keys"]
        PyJWKSet(keys)
    except (TypeError, KeyError, ValueError, PyJWTError) as error:
        return [
            JwtConfigurationProblem(
                "pie.E001", f"JWT_AUTH['JWT_PUBLIC_SIGNING_JWK_SET'] is not a usable JWK set: {error}", hint
            )
        ]
    problems = []
    if any("d" in key for key in keys):
        # It would verify tokens, but whoever reads the configuration can sign them too.
        problems.append(
            JwtConfigurationProblem(
                "pie.E004",
                "JWT_AUTH['JWT_PUBLIC_SIGNING_JWK_SET'] holds a private key.",
                "Publish only the public members (kty, kid, use, n, e); keep the private key in the LMS.",
            )
        )
    development_modulus = load_development_private_jwk()["n"]
    if not allow_development_keys and any(key.get("n") == development_modulus for key in keys):
        problems.append(
            JwtConfigurationProblem(
                "pie.E003",
                "JWT_AUTH['JWT_PUBLIC_SIGNING_JWK_SET'] trusts PIE's development key, whose private half is "
                "published in the repository.",
                "Use the LMS's public keys; the development key is for local and test settings only.",
            )
        )
    return problems


def _issuer_problems(issuers, allow_development_keys: bool) -> list[JwtConfigurationProblem]:
    hint = (
        "Set JWT_AUTH['JWT_ISSUERS'] to a list of {'ISSUER': ..., 'AUDIENCE': ..., 'SECRET_KEY': ...} "
        "(production: the JWT_ISSUERS environment variable, JSON, or the PIE_CFG file)."
    )
    if not issuers or not isinstance(issuers, list):
        return [JwtConfigurationProblem("pie.E002", "JWT_AUTH['JWT_ISSUERS'] is missing or empty.", hint)]
    problems = []
    for index, issuer in enumerate(issuers):
        if not isinstance(issuer, dict) or not issuer.get("ISSUER") or not issuer.get("AUDIENCE"):
            problems.append(
                JwtConfigurationProblem(
                    "pie.E002", f"JWT_AUTH['JWT_ISSUERS'][{index}] needs an ISSUER and an AUDIENCE.", hint
                )
            )
        elif not isinstance(issuer.get("SECRET_KEY") or "", str):
            problems.append(
                JwtConfigurationProblem(
                    "pie.E002",
                    f"JWT_AUTH['JWT_ISSUERS'][{index}]['SECRET_KEY'] is not text: HS256 tokens would all be refused.",
                    "Give the LMS's HS256 secret as a string, or leave SECRET_KEY out (asymmetric keys only).",
                )
            )
        elif not allow_development_keys and issuer.get("SECRET_KEY") == DEVSTACK_JWT_ISSUER["SECRET_KEY"]:
            problems.append(
                JwtConfigurationProblem(
                    "pie.E003",
                    f"JWT_AUTH['JWT_ISSUERS'][{index}] uses the public edX devstack secret.",
                    "Use the LMS's own secret, or none (asymmetric keys only).",
                )
            )
    return problems
