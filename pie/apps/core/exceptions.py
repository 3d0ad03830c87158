"""
The errors every layer shares. They know nothing of HTTP; the API maps them (``api.errors``).

``InvalidValuesError`` is the one refusal of values: a request's, a file row's or an
event's values that break a rule. Each app's refusal derives from it (the intents'
``InvalidIntentError``, engagement's ``InvalidFactError``), so the event bus, the loaders
and the API treat every refusal alike: reported, never retried.
"""

from datetime import datetime


class InvalidValuesError(ValueError):
    """
    Values that break a rule. ``errors`` maps each field at fault to a human message.
    """

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


class LearnerRetiredError(InvalidValuesError):
    """Values of a retired learner: no write path stores anything of them again (ADR 17)."""

    def __init__(self):
        super().__init__({"lms_user_id": "This learner is retired: PIE records no intent for them."})


class NotDueYetError(Exception):
    """
    Values that cannot be applied yet, only from ``due`` on (a fact dated a little ahead of
    the clock). Not a refusal: the event bus keeps such an event at once, without retrying,
    and its replay leaves it waiting until it is due.
    """

    def __init__(self, due: datetime):
        self.due = due
        super().__init__(f"not due before {due.isoformat()}")
