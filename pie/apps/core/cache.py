"""
The cache every worker shares (Redis in production), which PIE can do without.

Only the learners' write throttle counts there; nothing PIE stores lives in it. So a
cache that does not answer never fails a request (ADR 18): the throttle lets the write
through, and ``/health/`` says so in its body while answering 200.
"""

import logging

from django.core.cache import cache
from redis import RedisError

log = logging.getLogger(__name__)

# What a cache that cannot be reached raises (refused, timed out, lost; redis-py wraps
# socket errors in its own): everything else is a bug, and stays one.
CACHE_UNAVAILABLE = (RedisError, OSError)

_PROBE_KEY = "pie:health"


def cache_answers() -> bool:
    """Whether the default cache answers a read (bounded by its socket timeouts)."""
    try:
        cache.get(_PROBE_KEY)
    except CACHE_UNAVAILABLE as error:
        log.warning("The cache does not answer: %r", error)
        return False
    return True
