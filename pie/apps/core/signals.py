"""
Core's signals (each app defines its signals in ``signals.py`` and receives in ``handlers.py``).

``learner_retired``: sent by the retirement's deletion (``intents.services.retire_learner``), in
its transaction, with ``lms_user_id`` (and no sender). Each app that keeps
something of learners besides their intents deletes it (engagement: course facts, rule
states, the learner's lock row).
"""

from django.dispatch import Signal

learner_retired = Signal()
