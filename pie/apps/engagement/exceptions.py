"""Engagement's errors. They know nothing of HTTP or of the bus."""

from pie.apps.core.exceptions import InvalidValuesError


class InvalidFactError(InvalidValuesError):
    """A course fact's values break a rule (``errors``: each field at fault, a message)."""
