"""
The read rule in plain Python, written from docs/domain.rst independently of the selectors'
SQL: the one oracle of the learner's GET and of the program reads.
"""

from pie.apps.intents.constants import IntentCertainty

CERTAIN = (IntentCertainty.CERTAIN_YES, IntentCertainty.CERTAIN_NO)


def newest_first_key(intent):
    return (intent.effective_timestamp, intent.created, intent.pk)


def current_intent(candidates):
    """Of one learner's intents for one program: the latest certain one, else the latest maybe."""
    certain = [intent for intent in candidates if intent.certainty in CERTAIN]
    return max(certain or candidates, key=newest_first_key)


def current_intents(intents, *, per: str) -> dict:
    """The current intent of each group: ``per`` is "program_uuid" (one learner's) or "lms_user_id" (one program's)."""
    groups = {}
    for intent in intents:
        groups.setdefault(getattr(intent, per), []).append(intent)
    return {key: current_intent(candidates) for key, candidates in groups.items()}


def oracle(intents):
    """One learner's current intents, one per program, newest first (the learner's GET)."""
    return sorted(current_intents(intents, per="program_uuid").values(), key=newest_first_key, reverse=True)
