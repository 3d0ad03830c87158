"""Domain errors of the intent store. They know nothing of HTTP; the API maps them."""

from pie.apps.core.exceptions import InvalidValuesError


class IntentError(Exception):
    """Base class of the intent store's errors."""


class ImmutableIntentError(IntentError):
    """Raised on any attempt to change or delete a recorded intent."""


class InvalidIntentError(IntentError, InvalidValuesError):
    """Raised when the values of an intent break a rule (``errors``: each field at fault, a message)."""
