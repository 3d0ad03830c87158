"""System checks of PIE's configuration (``manage.py check``, and before runserver/migrate)."""

from django.conf import settings
from django.core import checks

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
