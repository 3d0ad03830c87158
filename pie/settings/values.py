"""
Values that cannot work, refused while the settings load, with one line naming the setting.

``Env`` is django-environ's reader whose parse failures (an integer that is not one, JSON
that is not JSON) raise ``ConfigurationError`` naming the variable, not a traceback.
``refuse_unusable(vars())``, called last by ``production.py`` after the YAML file is
merged, refuses a finished setting whose shape cannot work (hosts as a string, a bogus
rate, a cache URL that is no Redis URL). ``manage.py`` and ``pie/wsgi.py`` print the line
and exit non-zero (``pie.settings.required``). Whether a well-formed value is *sound* (not
a development key or salt) is for the ``pie.E00x`` system checks.
"""

import json
import logging
import re
from collections.abc import Mapping

import environ
from redis.connection import parse_url

from pie.settings.required import ConfigurationError

_DEPLOYING = "README.rst, 'Deploying'"


def refusal(setting: str, must: str) -> ConfigurationError:
    """The one-line refusal of a setting's value: ``PIE cannot start: SETTING must be ...``."""
    return ConfigurationError(f"PIE cannot start: {setting} must be {must} ({_DEPLOYING}).")


def _kind(cast) -> str:
    if cast is json.loads:
        return "JSON text"
    return {int: "an integer", float: "a number", bool: "true or false"}.get(cast, "a valid value")


class Env(environ.Env):
    """django-environ's ``Env``, refusing a value it cannot parse with one line naming the variable."""

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except (ValueError, TypeError) as error:  # int("x"), float("x"), json.loads("x") (a ValueError)
            raise refusal(var, _kind(cast)) from error


def log_level(value: str, *, setting: str = "LOG_LEVEL") -> str:
    """``value`` if ``logging`` knows it as a level name (``INFO``, ``DEBUG``...), else the refusal."""
    if value not in logging.getLevelNamesMapping():
        raise refusal(setting, f"a level name ({', '.join(sorted(logging.getLevelNamesMapping()))})")
    return value


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _refuse_bad_integer(settings: Mapping, name: str, *, minimum: int, optional: bool = False) -> None:
    value = settings.get(name)
    if optional and value is None:
        return
    if not _integer(value) or value < minimum:
        raise refusal(name, f"an integer of at least {minimum}")


def _is_rate(rate) -> bool:
    """Whether DRF's ``SimpleRateThrottle.parse_rate`` reads ``rate``: ``<requests>/<s|m|h|d...>``."""
    if not isinstance(rate, str) or rate.count("/") != 1:
        return False
    number, period = rate.split("/")
    return number.strip().isdigit() and int(number) > 0 and period[:1] in ("s", "m", "h", "d")


def _is_redis_url(location) -> bool:
    # Django's RedisCache takes one URL, or several (its primary, then replicas) split on , or ;.
    if not isinstance(location, str):
        return False
    try:
        for url in re.split("[;,]", location):
            parse_url(url)
    except ValueError:  # redis-py's refusal of a URL that is not redis://, rediss:// or unix://
        return False
    return True


def refuse_unusable(settings: Mapping) -> None:
    """Raise ``ConfigurationError`` for the first finished production setting whose shape cannot work."""
    hosts = settings.get("ALLOWED_HOSTS")
    if not isinstance(hosts, list | tuple) or not all(isinstance(host, str) for host in hosts):
        raise refusal("ALLOWED_HOSTS", "a list of host names (comma-separated in the environment)")
    _refuse_bad_integer(settings, "PIE_BULK_API_MAX_INTENTS", minimum=1)
    _refuse_bad_integer(settings, "PIE_BULK_API_MAX_BYTES", minimum=1, optional=True)
    _refuse_bad_integer(settings, "PIE_INTENT_MAX_CLOCK_SKEW_SECONDS", minimum=0)
    _refuse_bad_integer(settings, "PIE_FACT_MAX_FUTURE_SECONDS", minimum=0)
    rate = ((settings.get("REST_FRAMEWORK") or {}).get("DEFAULT_THROTTLE_RATES") or {}).get("learner_write")
    if rate is not None and not _is_rate(rate):
        raise refusal("PIE_LEARNER_WRITE_RATE", "a rate such as 100/hour (requests per second, minute, hour or day)")
    location = ((settings.get("CACHES") or {}).get("default") or {}).get("LOCATION")
    if location and not _is_redis_url(location):
        raise refusal("CACHE_REDIS_URL", "a Redis URL such as redis://host:6379/1 (or rediss://, unix://)")
