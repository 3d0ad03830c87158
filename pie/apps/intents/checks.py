"""System checks of the intents app's configuration (``manage.py check``)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def check_retirement_salts(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Without a salt no retired learner can be recognised, so every write would be refused."""
    salts = getattr(settings, "PIE_RETIREMENT_SALTS", None)
    if not isinstance(salts, list | tuple) or not salts or not all(isinstance(salt, str) and salt for salt in salts):
        return [
            checks.Error(
                "PIE_RETIREMENT_SALTS must be a non-empty list of secret strings.",
                hint="Set PIE_RETIREMENT_SALTS (comma-separated in the environment), the current salt first; "
                "keep the earlier ones after it when you rotate it.",
                id="pie.E010",
            )
        ]
    return []
