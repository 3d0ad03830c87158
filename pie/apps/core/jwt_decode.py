"""
PIE's JWT decode handler (``JWT_AUTH['JWT_DECODE_HANDLER']``): edx-drf-extensions' checks,
each token verified once per request, the keys parsed once per process.

edx-drf-extensions 10.9's decoder parses the JWK set again on every call (twice for an
HS256 token), and a request decodes its token three or more times (authentication, the
restricted-application permission, reading the caller's claims). This handler makes the
same checks as the library's (ADR 0011):

* the signature, against each RSA key of ``JWT_PUBLIC_SIGNING_JWK_SET`` (RS256, RS512)
  and, for HS256, the first issuer's ``SECRET_KEY``; never without a usable key set (the
  library checks nothing then: see ``checks.py``);
* ``exp`` and ``iat`` required, ``exp`` checked with ``JWT_LEEWAY`` seconds of leeway;
* ``aud``: the first issuer's ``AUDIENCE``; ``iss``: one of the configured issuers;
* ``version``: a semantic version whose major part is at most ``JWT_SUPPORTED_VERSION``'s
  (``1.0.0`` when absent); ``is_restricted`` and ``filters`` get the library's defaults,
  and ``NotJwtRestrictedApplication`` refuses restricted tokens.

Any failure is ``jwt.InvalidTokenError``, which authentication answers with 401. The keys
are cached on the settings' values, so a changed setting takes effect at once; the
payload is cached per request in edx-django-utils' request cache, cleared by
``RequestCacheMiddleware`` at the start and end of each request.
"""

import base64
import binascii
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache

import jwt
from django.conf import settings
from edx_django_utils.cache import RequestCache
from jwt import PyJWKSet
from semantic_version import Version

log = logging.getLogger(__name__)

_RSA_ALGORITHMS = ("RS256", "RS512")
_HMAC_ALGORITHMS = ("HS256",)
_DEFAULT_VERSION = "1.0.0"
_REQUEST_CACHE = "pie.apps.core.jwt_decode"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class VerificationKeys:
    """The configured keys, parsed: RSA public keys, the HS256 secret (or None), and what to check."""

    rsa_keys: tuple  # ((kid or None, key), ...)
    secret: str | None
    audience: str
    issuers: frozenset[str]


def jwt_decode_handler(token: str) -> dict:
    """Verify and decode ``token``; raise ``jwt.InvalidTokenError`` if it is not acceptable."""
    cache = RequestCache(_REQUEST_CACHE)
    cached = cache.get_cached_response(token)
    if cached.is_found:
        return cached.value
    payload = decode_token(token)
    cache.set(token, payload)
    return payload


def decode_token(token: str) -> dict:
    """``jwt_decode_handler`` without the per-request cache: every check, every time."""
    if not isinstance(token, str):
        raise jwt.InvalidTokenError("A JWT is a string.")
    jwt_auth = settings.JWT_AUTH
    keys = _verification_keys(
        jwk_set=jwt_auth.get("JWT_PUBLIC_SIGNING_JWK_SET"), issuers=_issuers_key(jwt_auth.get("JWT_ISSUERS"))
    )
    header = _unverified_header(token)
    options = {
        "require": ["exp", "iat"],
        "verify_exp": jwt_auth.get("JWT_VERIFY_EXPIRATION", True),
        "verify_aud": jwt_auth.get("JWT_VERIFY_AUDIENCE", True),
    }
    payload = _verified_payload(token, header, keys, options=options, leeway=jwt_auth.get("JWT_LEEWAY", 0))
    issuer = payload.get("iss")
    if not isinstance(issuer, str) or issuer not in keys.issuers:
        raise jwt.InvalidIssuerError(f"{issuer!r} is not a configured issuer.")
    _check_version(payload, supported=jwt_auth.get("JWT_SUPPORTED_VERSION", _DEFAULT_VERSION))
    payload.setdefault("is_restricted", False)
    payload.setdefault("filters", [])
    return payload


def _verified_payload(token: str, header: dict, keys: VerificationKeys, *, options: dict, leeway) -> dict:
    algorithm = header.get("alg")
    if algorithm in _RSA_ALGORITHMS:
        # The key the token names first (the LMS sets "kid"), then the others, as the library tries all.
        candidates = sorted(keys.rsa_keys, key=lambda kid_key: kid_key[0] != header.get("kid"))
        verifiers = [(key, _RSA_ALGORITHMS) for _, key in candidates]
    elif algorithm in _HMAC_ALGORITHMS and keys.secret:
        verifiers = [(keys.secret, _HMAC_ALGORITHMS)]
    else:
        raise jwt.InvalidAlgorithmError(f"Tokens signed with {algorithm!r} are not accepted.")
    error = jwt.InvalidSignatureError("No configured key verifies the signature.")
    for key, algorithms in verifiers:
        try:
            return jwt.decode(
                token, key, algorithms=list(algorithms), audience=keys.audience, leeway=leeway, options=options
            )
        except jwt.InvalidSignatureError as mismatch:
            error = mismatch
    raise error


def _unverified_header(token: str) -> dict:
    """
    The token's header, read only to choose the key (``jwt.decode`` checks it again). Not
    ``jwt.get_unverified_header``: PyJWT checks each base64 character in Python, and the
    decode that follows does it all again.
    """
    segment = token.split(".", 1)[0]
    if not _BASE64URL.fullmatch(segment):
        raise jwt.DecodeError("The token's header is not base64url text.")
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error) as error:
        raise jwt.DecodeError("The token's header is not a JSON object.") from error
    if not isinstance(header, dict):
        raise jwt.DecodeError("The token's header is not a JSON object.")
    return header


def _check_version(payload: dict, *, supported: str) -> None:
    payload.setdefault("version", _DEFAULT_VERSION)
    version = payload["version"]
    try:
        if not isinstance(version, str):
            raise TypeError
        major = Version(version).major
    except (TypeError, ValueError):
        raise jwt.InvalidTokenError(f"The JWT version {version!r} is not a semantic version.") from None
    if major > Version(supported).major:
        raise jwt.InvalidTokenError(f"JWT version {version} is unsupported.")


def _issuers_key(issuers) -> tuple | None:
    """The issuers setting as a hashable value (the cache key), or None when it is not a list of mappings."""
    if not isinstance(issuers, list | tuple) or not all(isinstance(issuer, dict) for issuer in issuers):
        return None
    return tuple(tuple((name, issuer.get(name)) for name in ("ISSUER", "AUDIENCE", "SECRET_KEY")) for issuer in issuers)


@lru_cache(maxsize=8)
def _verification_keys(*, jwk_set, issuers: tuple | None) -> VerificationKeys:
    """
    Parse the keys once per value of the settings. With no usable key set or issuer,
    every token is refused (and the pie.E00x system checks say why).
    """
    try:
        if not isinstance(jwk_set, str) or not jwk_set:
            raise ValueError("it is not set, or not JSON text")
        rsa_keys = tuple((key.key_id, key.key) for key in PyJWKSet.from_json(jwk_set).keys if key.key_type == "RSA")
        if not rsa_keys:
            raise ValueError("it holds no RSA key")
        if not issuers or not all(dict(issuer).get("ISSUER") and dict(issuer).get("AUDIENCE") for issuer in issuers):
            raise ValueError("JWT_ISSUERS has no usable issuer")
    except (ValueError, TypeError, AttributeError, jwt.PyJWTError) as error:  # AttributeError: a list, not a set
        log.error("Refusing every JWT: JWT_AUTH is unusable (JWT_PUBLIC_SIGNING_JWK_SET: %s).", error)
        raise jwt.InvalidTokenError("No usable public signing keys or issuers are configured.") from error
    first = dict(issuers[0])
    secret = first.get("SECRET_KEY")
    return VerificationKeys(
        rsa_keys=rsa_keys,
        secret=secret if isinstance(secret, str) and secret else None,
        audience=first["AUDIENCE"],
        issuers=frozenset(dict(issuer)["ISSUER"] for issuer in issuers),
    )
