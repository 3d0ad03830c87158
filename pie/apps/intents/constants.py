"""
The vocabulary of program intents: reasons, certainties and how certainties rank.

Adding a reason is one line in ``IntentReason``: every column that stores a reason
(``ProgramIntent.reason`` today) takes its choices from ``reason_choices`` (a callable) and
its width from ``REASON_MAX_LENGTH``, so no migration changes (``make check-new-reason``
checks it, and a test adds a reason to every such column).
"""

import uuid
from datetime import datetime
from typing import NamedTuple, NotRequired, TypedDict

from django.db import models


class IntentReason(models.TextChoices):
    """Why we believe a learner does or does not intend to complete a program."""

    BUNDLE_PURCHASE = "BUNDLE_PURCHASE", "Bought the program bundle"
    ENROLLED_ALL_COURSES = "ENROLLED_ALL_COURSES", "Enrolled in all of the program's courses"
    EARNED_PROGRAM_CERT = "EARNED_PROGRAM_CERT", "Earned the program certificate"
    ALL_COURSES_COMPLETE = "ALL_COURSES_COMPLETE", "Completed all of the program's courses"
    LEARNER_STATED = "LEARNER_STATED", "The learner told us"


class IntentCertainty(models.TextChoices):
    """How sure we are: a broad bucket. Any reason may carry any certainty."""

    CERTAIN_YES = "CERTAIN_YES", "Certainly intends to complete"
    CERTAIN_NO = "CERTAIN_NO", "Certainly does not intend to complete"
    MAYBE = "MAYBE", "May intend to complete"


# Lower ranks win when choosing a learner's "most recent and certain" intent for a
# program: any certain answer, yes or no, beats a maybe, whatever their dates.
CERTAINTY_RANK = {
    IntentCertainty.CERTAIN_YES: 0,
    IntentCertainty.CERTAIN_NO: 0,
    IntentCertainty.MAYBE: 1,
}

# Column widths, shared by the model and the validation of incoming values.
REASON_MAX_LENGTH = 64
CERTAINTY_MAX_LENGTH = 16


class IntentKey(NamedTuple):
    """
    The checked values of one intent, which are also its de-duplication key: at most one
    intent per key, enforced by the table's unique constraint.

    The field order is the constraint's column order, chosen so that its index also serves
    the main read (a learner's intents, by program, newest first). Every order of these
    fields elsewhere in PIE is derived from this class.
    """

    lms_user_id: int
    program_uuid: uuid.UUID
    effective_timestamp: datetime  # aware, in UTC
    reason: str
    certainty: str


# The de-duplication fields, in the unique constraint's order.
DEDUPLICATION_FIELDS = IntentKey._fields


class IntentValues(TypedDict):
    """
    The values of one intent as a caller gives them, before they are checked: an
    ``IntentKey``'s fields, as objects or as their texts (a report's, an event's).
    ``services.record_intent`` defaults ``effective_timestamp`` to now.
    """

    lms_user_id: int | str
    program_uuid: uuid.UUID | str
    effective_timestamp: NotRequired[datetime | str | None]
    reason: str
    certainty: str


def reason_choices():
    """Choices of the ``reason`` field, read at run time so new reasons need no migration."""
    return IntentReason.choices
