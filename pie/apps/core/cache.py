"""
The cache every worker shares (Redis in production), which PIE can do without.

Only the learners' write throttle counts there; nothing PIE stores lives in it. So a
cache that does not answer never fails a request (ADR 18): the throttle lets the write
through, and ``/health/`` says so in its body while answering 200.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache, caches
from redis import RedisError

log = logging.getLogger(__name__)

# What a cache that cannot be reached raises (refused, timed out, lost; redis-py wraps
# socket errors in its own): everything else is a bug, and stays one.
CACHE_UNAVAILABLE = (RedisError, OSError)

_PROBE_KEY = "pie:health"


# The last probe's answer, by the cache object it asked (a settings change makes a new one).
_last_probe: tuple[object, float, bool] | None = None


def cache_answers_recently() -> bool:
    """
    ``cache_answers()``, asked at most once every ``PIE_HEALTH_CACHE_CHECK_SECONDS`` (1) in a
    process: a load balancer's probes cost no cache round trip each.
    """
    global _last_probe
    backend, now = caches["default"], time.monotonic()
    if _last_probe is not None:
        probed_backend, probed_at, answer = _last_probe
        if probed_backend is backend and now - probed_at < settings.PIE_HEALTH_CACHE_CHECK_SECONDS:
            return answer
    answer = cache_answers()
    _last_probe = (backend, now, answer)
    return answer


def cache_answers() -> bool:
    """Whether the default cache answers a read (bounded by its socket timeouts)."""
    try:
        cache.get(_PROBE_KEY)
    except CACHE_UNAVAILABLE as error:
        log.warning("The cache does not answer: %r", error)
        return False
    return True
