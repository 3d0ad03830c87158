"""System checks of PIE's configuration (``manage.py check``, and before runserver/migrate)."""

import os

from django.conf import settings
from django.core import checks

from pie.apps.core.development_jwt import DEVELOPMENT_RETIREMENT_SALT
from pie.apps.core.jwt_config import jwt_configuration_problems


@checks.register(checks.Tags.security)
def check_jwt_configuration(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Refuse a JWT configuration under which token signatures would not be checked."""
    problems = jwt_configuration_problems(
        getattr(settings, "JWT_AUTH", None),
        allow_development_keys=getattr(settings, "PIE_JWT_ALLOW_DEVELOPMENT_KEYS", False),
    )
    return [
        (checks.Error if problem.is_error else checks.Warning)(problem.message, hint=problem.hint, id=problem.id)
        for problem in problems
    ]


@checks.register(checks.Tags.security)
def check_retirement_salts(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """
    Without a salt no retired learner can be recognised, so every write would be refused;
    with a blank or a published one, the kept hashes can be reversed.
    """
    salts = getattr(settings, "PIE_RETIREMENT_SALTS", None)
    if (
        not isinstance(salts, list | tuple)
        or not salts
        or not all(isinstance(salt, str) and salt.strip() for salt in salts)
    ):
        return [
            checks.Error(
                "PIE_RETIREMENT_SALTS must be a non-empty list of secret strings (none blank).",
                hint="Set PIE_RETIREMENT_SALTS (comma-separated in the environment), the current salt first; "
                "keep the earlier ones after it when you rotate it.",
                id="pie.E010",
            )
        ]
    published = any(salt.strip() == DEVELOPMENT_RETIREMENT_SALT for salt in salts)
    if published and not getattr(settings, "PIE_ALLOW_DEVELOPMENT_RETIREMENT_SALT", False):
        # Published in this repository: a hash made with it is undone by hashing every id (2^31 tries).
        return [
            checks.Error(
                "PIE_RETIREMENT_SALTS holds the development salt published in PIE's repository.",
                hint="Use a secret salt of your own (e.g. python -c 'import secrets; print(secrets.token_hex(32))').",
                id="pie.E011",
            )
        ]
    return []


@checks.register()
def check_deprecated_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Settings under a former name: still honoured, each with a line asking for the new name."""
    if "PIE_EVENT_BUS_TOPIC" in os.environ or hasattr(settings, "PIE_EVENT_BUS_TOPIC"):
        return [
            checks.Warning(
                "PIE_EVENT_BUS_TOPIC is deprecated: it is read as PIE_EVENT_BUS_CERTIFICATE_TOPIC, its new name.",
                hint="Rename it to PIE_EVENT_BUS_CERTIFICATE_TOPIC in the environment or the PIE_CFG file.",
                id="pie.W020",
            )
        ]
    return []
