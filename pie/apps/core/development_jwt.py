"""
The development JWT signing key: for a developer's machine and the test suite ONLY.

Like the Open edX devstack, PIE publishes a development RSA key pair
(``development_jwk.json``, beside this module) so that ``manage.py mint_jwt`` can sign
tokens locally and the tests can exercise real RS256/RS512 signatures. The private half
is in the repository, so anyone can sign tokens with it: ``production.py`` never imports
this module, and the ``pie.E003`` system check refuses a public JWK set that contains
this key unless ``PIE_JWT_ALLOW_DEVELOPMENT_KEYS`` is on (local and test settings only).
"""

import json
from pathlib import Path

# The salt of retired learners' hashes in local and test settings. Published, so a hash
# made with it is reversed by hashing every possible id: the pie.E011 system check refuses
# it unless PIE_ALLOW_DEVELOPMENT_RETIREMENT_SALT is on (local and test settings only).
DEVELOPMENT_RETIREMENT_SALT = "development-only-retirement-salt"

DEVELOPMENT_JWK_PATH = Path(__file__).with_name("development_jwk.json")

# The fields of an RSA JWK that may be published; the rest are the private key.
_PUBLIC_RSA_FIELDS = ("kty", "kid", "use", "n", "e")


def load_development_private_jwk() -> dict:
    """The development private key, as a JWK mapping (without the warning text)."""
    jwk = json.loads(DEVELOPMENT_JWK_PATH.read_text(encoding="utf-8"))
    jwk.pop("_warning", None)
    return jwk


def development_public_jwk_set() -> str:
    """The public half of the development key, as the JSON JWK set edx-drf-extensions reads."""
    private = load_development_private_jwk()
    return json.dumps({"keys": [{name: private[name] for name in _PUBLIC_RSA_FIELDS}]})


DEVELOPMENT_JWT_PRIVATE_SIGNING_JWK = json.dumps(load_development_private_jwk())
DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET = development_public_jwk_set()

# The edX devstack's LMS issuer, audience and HS256 secret: public values, for local use.
DEVSTACK_JWT_ISSUER = {
    "ISSUER": "http://localhost:18000/oauth2",
    "AUDIENCE": "lms-key",
    "SECRET_KEY": "lms-secret",
}
