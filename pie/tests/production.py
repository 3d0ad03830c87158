"""A full production configuration, as an operator would give it, for tests that start PIE with it."""

import json
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = {"ISSUER": "https://lms.example.com/oauth2", "AUDIENCE": "pie", "SECRET_KEY": None}


def generated_jwk_set() -> tuple[str, object]:
    """A fresh RSA key: its public half as a JSON JWK set, and the private key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    public.update(kid="lms-test", use="sig")
    return json.dumps({"keys": [public]}), key


def full_production_env(*, database_url: str, jwk_set: str | None = None) -> dict:
    """Every required setting (pie.settings.required), with a generated key set unless one is given."""
    return {
        "DJANGO_SETTINGS_MODULE": "pie.settings.production",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CACHE_REDIS_URL": "redis://127.0.0.1:6379/15",
        "JWT_ISSUERS": json.dumps([ISSUER]),
        "JWT_PUBLIC_SIGNING_JWK_SET": jwk_set or generated_jwk_set()[0],
        "PIE_RETIREMENT_SALTS": uuid.uuid4().hex,
        "SOCIAL_AUTH_EDX_OAUTH2_KEY": "pie-sso-key",
        "SOCIAL_AUTH_EDX_OAUTH2_SECRET": uuid.uuid4().hex,
        "SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT": "https://lms.example.com",
    }


def without_configuration(environ: dict) -> dict:
    """``environ`` less every variable a production setting reads (so only what a test gives counts)."""
    from pie.settings.required import REQUIRED

    names = {
        *REQUIRED,
        "PIE_CFG",
        "DJANGO_SETTINGS_MODULE",
        "PYTHONPATH",
        "CORS_ORIGIN_WHITELIST",
        "CSRF_COOKIE_DOMAIN",
    }
    return {k: v for k, v in environ.items() if k not in names and not k.startswith(("EVENT_BUS_", "GUNICORN_"))}
