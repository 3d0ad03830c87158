"""Domain errors of the intent store. They know nothing of HTTP; the API maps them."""


class IntentError(Exception):
    """Base class of the intent store's errors."""


class ImmutableIntentError(IntentError):
    """Raised on any attempt to change or delete a recorded intent."""


class InvalidIntentError(IntentError, ValueError):
    """
    Raised when the values of an intent break a rule.

    ``errors`` maps each field at fault to a human message.
    """

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


class LearnerRetiredError(InvalidIntentError):
    """Raised for an intent of a retired learner: no write path records one again."""

    def __init__(self):
        super().__init__({"lms_user_id": "This learner is retired: PIE records no intent for them."})
