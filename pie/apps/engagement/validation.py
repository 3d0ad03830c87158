"""
The one time rule of course facts, at every door (the event bus, the backfills, the service
layer): a fact dated beyond the clock skew (``PIE_INTENT_MAX_CLOCK_SKEW_SECONDS``, as
intents have it) is not applied. Kept, it would date the completions its learner's later
facts make in the future, which the intents refuse.
"""

from datetime import datetime, timedelta

from django.conf import settings

from pie.apps.core.exceptions import NotDueYetError
from pie.apps.engagement.exceptions import InvalidFactError
from pie.apps.intents.validation import max_clock_skew

IN_THE_FUTURE = "Must not be in the future (beyond PIE_INTENT_MAX_CLOCK_SKEW_SECONDS of the clock)."


def latest_fact_time(*, now: datetime) -> datetime:
    """The latest time of a fact that may be applied at ``now``: the clock and its skew."""
    return now + max_clock_skew()


def check_fact_time(at: datetime, *, now: datetime, field: str = "time") -> None:
    """
    Let a fact dated ``at`` be applied at ``now`` (``latest_fact_time``), or raise:
    ``NotDueYetError`` (due once ``at`` is within the skew of the clock) for one at most
    ``PIE_FACT_MAX_FUTURE_SECONDS`` ahead, ``InvalidFactError`` naming ``field`` for one
    further ahead (9999-12-31, say). A file row has no later: it is refused either way.
    """
    latest = latest_fact_time(now=now)
    if at <= latest:
        return
    if at > now + timedelta(seconds=settings.PIE_FACT_MAX_FUTURE_SECONDS):
        raise InvalidFactError({field: IN_THE_FUTURE})
    raise NotDueYetError(due=at - (latest - now))
