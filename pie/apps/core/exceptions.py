"""
The errors every layer shares. They know nothing of HTTP; the API maps them (``api.errors``).

``InvalidValuesError`` is the one refusal of values: a request's, a file row's or an
event's values that break a rule. Each app's refusal derives from it (the intents'
``InvalidIntentError``, engagement's ``InvalidFactError``), so the event bus, the loaders
and the API treat every refusal alike: reported, never retried.
"""


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
