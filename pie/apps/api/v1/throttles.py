"""
How often a learner may write: intents are never deleted, and a learner's reads cost what
their own rows cost, so one token must not record millions of them.
"""

import logging

from edx_django_utils.monitoring import set_custom_attribute
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from pie.apps.api.v1.callers import caller_lms_user_id, is_staff_caller
from pie.apps.core.cache import CACHE_UNAVAILABLE

log = logging.getLogger(__name__)


class LearnerWriteThrottle(SimpleRateThrottle):
    """
    DRF's rate throttle on a learner's writes, counted per LMS user id in the shared cache.

    The rate is ``REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['learner_write']`` (``None``: no
    limit). Staff and service callers (an ``administrator`` token, or one naming no
    learner) are not throttled: they write on learners' behalf. While the cache does not
    answer, writes are let through uncounted (fail open, ADR 18), each with a logged
    warning and the custom attribute ``pie_learner_write_throttle_failed_open``.
    """

    scope = "learner_write"

    def get_rate(self):
        # Read when the throttle is made, not when DRF's class was defined: settings may change.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if is_staff_caller(request):
            return None
        learner = caller_lms_user_id(request)
        return None if learner is None else self.cache_format % {"scope": self.scope, "ident": learner}

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_UNAVAILABLE as error:
            log.warning("The cache does not answer: the learner write throttle lets this write through (%r)", error)
            # .. custom_attribute_name: pie_learner_write_throttle_failed_open
            # .. custom_attribute_description: True when the cache did not answer and the
            #    learner's write went through uncounted.
            set_custom_attribute("pie_learner_write_throttle_failed_open", True)
            return True
