"""
The JWT decode handler: edx-drf-extensions' own, failing closed without public keys.

edx-drf-extensions 10.9 checks no signature when ``JWT_PUBLIC_SIGNING_JWK_SET`` is unset
(and answers 500 when it is not a usable set). The system checks report that at
``manage.py check``, ``migrate`` and ``runserver``, but a WSGI server runs no checks, so
this handler refuses every token until the set is usable: a misconfigured service
answers 401, never "any signature will do".
"""

import logging

import jwt
from django.conf import settings
from edx_rest_framework_extensions.auth.jwt.decoder import jwt_decode_handler as edx_jwt_decode_handler
from jwt import PyJWKSet

log = logging.getLogger(__name__)


def jwt_decode_handler(token: str) -> dict:
    """Verify and decode ``token`` (``JWT_AUTH['JWT_DECODE_HANDLER']``); raise ``InvalidTokenError`` if bad."""
    jwk_set = settings.JWT_AUTH.get("JWT_PUBLIC_SIGNING_JWK_SET")
    try:
        if not jwk_set:
            raise ValueError("it is not set")
        PyJWKSet.from_json(jwk_set)
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        log.error("Refusing a JWT: JWT_AUTH['JWT_PUBLIC_SIGNING_JWK_SET'] is unusable (%s).", error)
        raise jwt.InvalidTokenError("No public signing keys are configured.") from error
    return edx_jwt_decode_handler(token)
