"""
The production settings that have no safe default, and the one-line refusal when any is missing.

``production.py`` ends by calling ``refuse_missing(vars())``: when a required setting is
unset or empty it raises ``MissingConfiguration``, whose message names every missing key
on one line (a ``ConfigurationError``, as is an unreadable ``PIE_CFG`` file). ``manage.py``
and ``pie/wsgi.py`` print that line and exit non-zero, never with a traceback; gunicorn's
configuration module refuses before it binds (``pie/docker_gunicorn_configuration.py``).
A present value whose form cannot work is refused by ``pie.settings.values``; whether a
well-formed value is *sound* (a usable JWK set, not the development key) is for the
``pie.E00x`` system checks.
"""

from collections.abc import Callable, Mapping

from django.core.exceptions import ImproperlyConfigured

# gunicorn halts (rather than restarting the worker forever) when a worker exits with this
# code: its APP_LOAD_ERROR.
APP_LOAD_ERROR = 4


class ConfigurationError(ImproperlyConfigured):
    """The production configuration is unusable; the message says why, on one line."""


class MissingConfiguration(ConfigurationError):
    """Required production settings are missing; the message names them all on one line."""

    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(
            f"PIE cannot start: missing configuration: {', '.join(names)} "
            "(set each as an environment variable or as a key of the YAML file named by PIE_CFG; "
            "README.rst, 'Deploying')."
        )


def _jwt(key: str) -> Callable[[Mapping], object]:
    return lambda settings: (settings.get("JWT_AUTH") or {}).get(key)


def _social(suffix: str) -> Callable[[Mapping], object]:
    return lambda settings: settings.get(f"SOCIAL_AUTH_EDX_OAUTH2_{suffix}")


# The name an operator sets, and how to read it from the finished settings.
REQUIRED: dict[str, Callable[[Mapping], object]] = {
    "SECRET_KEY": lambda settings: settings.get("SECRET_KEY"),
    "DATABASE_URL": lambda settings: (settings.get("DATABASES") or {}).get("default"),
    "ALLOWED_HOSTS": lambda settings: settings.get("ALLOWED_HOSTS"),
    "CACHE_REDIS_URL": lambda settings: ((settings.get("CACHES") or {}).get("default") or {}).get("LOCATION"),
    "JWT_ISSUERS": _jwt("JWT_ISSUERS"),
    "JWT_PUBLIC_SIGNING_JWK_SET": _jwt("JWT_PUBLIC_SIGNING_JWK_SET"),
    "PIE_RETIREMENT_SALTS": lambda settings: settings.get("PIE_RETIREMENT_SALTS"),
    "SOCIAL_AUTH_EDX_OAUTH2_KEY": _social("KEY"),
    "SOCIAL_AUTH_EDX_OAUTH2_SECRET": _social("SECRET"),
    "SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT": _social("URL_ROOT"),
}


def missing_settings(settings: Mapping) -> list[str]:
    """The required names whose value in ``settings`` (a settings module's namespace) is unset or empty."""
    return [name for name, read in REQUIRED.items() if not read(settings)]


def refuse_missing(settings: Mapping) -> None:
    """Raise ``MissingConfiguration`` naming every required setting missing from ``settings``."""
    missing = missing_settings(settings)
    if missing:
        raise MissingConfiguration(missing)
