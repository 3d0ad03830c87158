"""
Read rules for program intents, computed in the database.

Only this package knows how intents rank: the certainty ranking comes from
``constants.CERTAINTY_RANK``, and one SQL builder (``ranking.ranked_sql``) ranks intents by
the rule for every read: a learner's programs (``most_recent_and_certain``, in ``learner``)
and a program's learners (``program_engagement``, ``program_learners``, in ``program``).
Callers import the reads from here.
"""

from pie.apps.intents.selectors.learner import most_recent_and_certain, program_history, recorded_keys
from pie.apps.intents.selectors.program import Engagement, program_engagement, program_learners
from pie.apps.intents.selectors.ranking import IntentRow

__all__ = [
    "Engagement",
    "IntentRow",
    "most_recent_and_certain",
    "program_engagement",
    "program_history",
    "program_learners",
    "recorded_keys",
]
