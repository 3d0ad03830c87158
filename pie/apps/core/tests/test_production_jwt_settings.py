"""Production reads the LMS's JWT issuers and public keys from configuration."""

import json
import os
import subprocess
import sys
from pathlib import Path

from pie.tests.production import full_production_env, without_configuration

ROOT = Path(__file__).resolve().parents[4]
PROBE = """
import json
from django.conf import settings
import django
django.setup()
from pie.apps.core.checks import check_jwt_configuration
print(json.dumps({
    "JWT_AUTH": {k: settings.JWT_AUTH[k] for k in ("JWT_ISSUERS", "JWT_PUBLIC_SIGNING_JWK_SET",
                                                   "JWT_PRIVATE_SIGNING_JWK", "JWT_AUTH_HEADER_PREFIX")},
    "checks": sorted(message.id for message in check_jwt_configuration()),
}))
"""
ISSUERS = [{"ISSUER": "https://lms.example.com/oauth2", "AUDIENCE": "pie", "SECRET_KEY": None}]
JWK_SET = json.dumps({"keys": [{"kty": "RSA", "kid": "lms", "e": "AQAB", "n": "sXch" * 86}]})


def base_env() -> dict:
    """A full production configuration but for the JWT settings, in an environment without any."""
    clean = {k: v for k, v in without_configuration(os.environ).items() if not k.startswith(("JWT_", "PIE_"))}
    jwt_settings = ("JWT_ISSUERS", "JWT_PUBLIC_SIGNING_JWK_SET")
    return {
        **clean,
        **{k: v for k, v in full_production_env(database_url="sqlite:///x").items() if k not in jwt_settings},
    }


def load_production(**env) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**base_env(), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_without_jwt_configuration_production_refuses_to_start():
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=base_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "missing configuration: JWT_ISSUERS, JWT_PUBLIC_SIGNING_JWK_SET (" in result.stderr


def test_unusable_jwt_configuration_fails_the_checks():
    values = load_production(JWT_ISSUERS=json.dumps([{"ISSUER": "x"}]), JWT_PUBLIC_SIGNING_JWK_SET="not a key set")
    assert values["checks"] == ["pie.E001", "pie.E002"]
    # Production never carries the development signing key.
    assert values["JWT_AUTH"]["JWT_PRIVATE_SIGNING_JWK"] is None


def test_issuers_and_keys_come_from_the_environment():
    values = load_production(JWT_ISSUERS=json.dumps(ISSUERS), JWT_PUBLIC_SIGNING_JWK_SET=JWK_SET)
    assert values["JWT_AUTH"]["JWT_ISSUERS"] == ISSUERS
    assert values["JWT_AUTH"]["JWT_PUBLIC_SIGNING_JWK_SET"] == JWK_SET
    assert values["checks"] == []


def test_a_jwt_auth_mapping_in_the_yaml_file_is_merged_into_the_defaults(tmp_path):
    config = tmp_path / "pie.yml"
    config.write_text(json.dumps({"JWT_AUTH": {"JWT_ISSUERS": ISSUERS, "JWT_PUBLIC_SIGNING_JWK_SET": JWK_SET}}))
    values = load_production(PIE_CFG=str(config))
    assert values["JWT_AUTH"]["JWT_ISSUERS"] == ISSUERS
    assert values["JWT_AUTH"]["JWT_AUTH_HEADER_PREFIX"] == "JWT"
    assert values["checks"] == []


def test_the_key_set_may_be_a_yaml_mapping(tmp_path):
    config = tmp_path / "pie.yml"
    config.write_text(
        "JWT_AUTH:\n"
        "  JWT_ISSUERS: [{ISSUER: 'https://lms.example.com/oauth2', AUDIENCE: pie, SECRET_KEY: null}]\n"
        "  JWT_PUBLIC_SIGNING_JWK_SET:\n"
        "    keys: [{kty: RSA, kid: lms, e: AQAB, n: " + "sXch" * 86 + "}]\n"
    )
    values = load_production(PIE_CFG=str(config))
    assert json.loads(values["JWT_AUTH"]["JWT_PUBLIC_SIGNING_JWK_SET"]) == json.loads(JWK_SET)
    assert values["checks"] == []


def test_the_development_key_is_refused_in_production():
    from pie.apps.core.development_jwt import DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET

    values = load_production(
        JWT_ISSUERS=json.dumps(ISSUERS), JWT_PUBLIC_SIGNING_JWK_SET=DEVELOPMENT_JWT_PUBLIC_SIGNING_JWK_SET
    )
    assert values["checks"] == ["pie.E003"]
