"""
Minting LMS-style JWTs for local development (``manage.py mint_jwt``) and the tests.

The token carries the claims the LMS puts in its access tokens, is signed with
``JWT_AUTH['JWT_PRIVATE_SIGNING_JWK']`` (local and test settings: the development key),
and names the first configured issuer and its audience, so the running service accepts
it exactly as it accepts a token from the LMS. Built on djangorestframework-simplejwt's
token classes, which handle ``exp``, ``iat`` and ``jti``.
"""

from datetime import timedelta

from django.conf import settings
from jwt import PyJWK, PyJWTError
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.tokens import AccessToken

from pie.apps.core.lms import LMS_JWT_VERSION


class SigningKeyNotConfigured(Exception):
    """There is no private signing key in the settings: no token can be minted here."""


class LmsAccessToken(AccessToken):
    """A simplejwt access token signed and addressed by PIE's JWT settings, not SIMPLE_JWT's."""

    def __init__(self, *, backend: TokenBackend, lifetime: timedelta):
        # simplejwt reads both from class attributes; these are per token.
        self._token_backend = backend
        self.lifetime = lifetime
        super().__init__()


def signing_backend() -> TokenBackend:
    """
    A simplejwt ``TokenBackend`` for the configured private key, first issuer and audience.

    Raises ``SigningKeyNotConfigured`` when ``JWT_PRIVATE_SIGNING_JWK`` is unset or
    unusable (as in production, where only the LMS signs tokens).
    """
    jwt_auth = settings.JWT_AUTH
    private_jwk = jwt_auth.get("JWT_PRIVATE_SIGNING_JWK")
    if not private_jwk:
        raise SigningKeyNotConfigured(
            "JWT_AUTH['JWT_PRIVATE_SIGNING_JWK'] is not set: these settings cannot sign tokens "
            "(only local and test settings carry a development signing key)."
        )
    try:
        signing_key = PyJWK.from_json(private_jwk).key
    except (PyJWTError, ValueError, TypeError) as error:
        raise SigningKeyNotConfigured(f"JWT_AUTH['JWT_PRIVATE_SIGNING_JWK'] is not a usable JWK: {error}") from error
    issuers = jwt_auth.get("JWT_ISSUERS") or []
    if not issuers:
        raise SigningKeyNotConfigured("JWT_AUTH['JWT_ISSUERS'] is empty: there is no issuer to mint tokens for.")
    return TokenBackend(
        algorithm=jwt_auth.get("JWT_SIGNING_ALGORITHM") or "RS512",
        signing_key=signing_key,
        audience=issuers[0]["AUDIENCE"],
        issuer=issuers[0]["ISSUER"],
    )


def mint_lms_jwt(
    *,
    lms_user_id: int | None,
    username: str,
    administrator: bool | None = False,
    email: str | None = None,
    expires_in: int = 3600,
    extra_claims: dict | None = None,
) -> str:
    """
    Return a signed JWT with the LMS's claims, valid for ``expires_in`` seconds.

    ``lms_user_id=None`` leaves out the ``user_id`` claim (as in a token some service
    users carry), and ``administrator=None`` the ``administrator`` claim. ``extra_claims``
    are added last, for tests. Raises ``SigningKeyNotConfigured`` where no signing key is
    configured.
    """
    token = LmsAccessToken(backend=signing_backend(), lifetime=timedelta(seconds=expires_in))
    claims = {
        "preferred_username": username,
        "administrator": administrator,
        "email": email if email is not None else f"{username}@example.com",
        "version": LMS_JWT_VERSION,
        "scopes": ["user_id", "email", "profile"],
        "filters": [],
        "is_restricted": False,
    }
    if lms_user_id is not None:
        claims["user_id"] = lms_user_id
    if administrator is None:
        del claims["administrator"]
    for name, value in {**claims, **(extra_claims or {})}.items():
        token[name] = value
    return str(token)
