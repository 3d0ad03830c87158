"""
The rules an intent's values must meet, shared by every write path.

``clean_intent_values`` turns raw values (Python objects, or the strings of a CSV file or
an event) into an ``IntentValues``, or raises ``InvalidIntentError`` naming each field at
fault. It runs once per row of a bulk load, so it stays lean.
"""

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.conf import settings

from pie.apps.intents.constants import MAX_LMS_USER_ID, IntentCertainty, IntentReason
from pie.apps.intents.exceptions import InvalidIntentError

_REASONS = frozenset(IntentReason.values)
_CERTAINTIES = frozenset(IntentCertainty.values)
# "2022-07-01 00:00:00 Z" (the warehouse form) has a space before its zone designator,
# which datetime.fromisoformat does not accept.
_SPACE_BEFORE_ZONE = re.compile(r"\s+(?=(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$)")


@dataclass(frozen=True, slots=True)
class IntentValues:
    """The checked, normalised values of one intent."""

    lms_user_id: int
    program_uuid: uuid.UUID
    reason: str
    certainty: str
    effective_timestamp: datetime

    @property
    def key(self) -> tuple:
        """The de-duplication key: at most one intent per key."""
        return (self.lms_user_id, self.program_uuid, self.effective_timestamp, self.reason, self.certainty)


def max_clock_skew() -> timedelta:
    """How far in the future an effective timestamp may be."""
    return timedelta(seconds=settings.PIE_INTENT_MAX_CLOCK_SKEW_SECONDS)


def parse_timestamp(value: str) -> datetime:
    """
    Parse an ISO 8601 timestamp, or the warehouse form ``2022-07-01 00:00:00 Z``.

    Naive timestamps are taken as UTC. Raises ``ValueError`` on anything else.
    """
    text = value.strip()
    # The warehouse form, most rows of a bulk load, skips the substitution: stripping the
    # spaces before its "Z" gives what the substitution would.
    text = text[:-2].rstrip() + "Z" if text.endswith(" Z") else _SPACE_BEFORE_ZONE.sub("", text)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    if parsed.tzinfo is UTC:
        return parsed
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # Such as 0001-01-01T00:00:00+01:00: before year 1 once in UTC.
        raise ValueError(f"{value!r} is out of range in UTC") from None


def _clean_lms_user_id(value) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str):
        value = value.strip()
        # int() also takes "1_000", "+7" and non-ASCII digits: a report's id is plain digits.
        if not (value.isascii() and value.isdigit()):
            raise ValueError
        value = int(value)
    elif not isinstance(value, int):
        raise ValueError
    if not 1 <= value <= MAX_LMS_USER_ID:
        raise ValueError
    return value


def _clean_program_uuid(value) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise ValueError
    return _parse_uuid(value)


# A bulk load names a few thousand programs over millions of rows: parsing each UUID
# text once saves a good share of the per-row cost. Only valid texts are cached.
@lru_cache(maxsize=65536)
def _parse_uuid(text: str) -> uuid.UUID:
    return uuid.UUID(text.strip())


def _clean_effective_timestamp(value, latest: datetime) -> datetime:
    if isinstance(value, str):
        value = parse_timestamp(value)
    elif isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    else:
        raise TypeError
    if value > latest:
        raise OverflowError
    return value


def clean_intent_values(
    *,
    lms_user_id,
    program_uuid,
    reason,
    certainty,
    effective_timestamp,
    now: datetime,
) -> IntentValues:
    """
    Check and normalise one intent's values; raise ``InvalidIntentError`` if any is bad.

    ``now`` is the caller's clock, passed in so that a batch uses one reading of it.
    Every field is checked, so the error names all the fields at fault at once.
    """
    key = _checked_key(
        lms_user_id=lms_user_id,
        program_uuid=program_uuid,
        reason=reason,
        certainty=certainty,
        effective_timestamp=effective_timestamp,
        latest=now + max_clock_skew(),
    )
    user, program, timestamp, reason, certainty = key
    return IntentValues(
        lms_user_id=user, program_uuid=program, reason=reason, certainty=certainty, effective_timestamp=timestamp
    )


def intent_key_cleaner(*, now: datetime) -> Callable[[Mapping], tuple]:
    """
    Return a function that checks one row's values and returns its de-duplication key.

    A row is a mapping with the keys ``lms_user_id``, ``program_uuid``, ``reason``,
    ``certainty`` and ``effective_timestamp``. The rules and errors are those of
    ``clean_intent_values`` (it raises ``InvalidIntentError``), for the many rows of a
    batch: the clock and the skew setting are read once, and rows of plain strings that
    are all valid take a short path. The key is ``IntentValues.key``:
    ``(lms_user_id, program_uuid, effective_timestamp, reason, certainty)``.
    """
    latest = now + max_clock_skew()
    reasons, certainties, parse_uuid = _REASONS, _CERTAINTIES, _parse_uuid

    def clean(row: Mapping) -> tuple:
        user, program, reason, certainty, timestamp = (
            row.get("lms_user_id"),
            row.get("program_uuid"),
            row.get("reason"),
            row.get("certainty"),
            row.get("effective_timestamp"),
        )
        # The short path accepts a subset of what the full check accepts, and gives the
        # same key (test_validation compares the two); anything else takes the full check,
        # which finds and names every fault.
        if (
            type(reason) is str
            and reason in reasons
            and type(certainty) is str
            and certainty in certainties
            and type(user) is str
            and user.isdigit()
            and user.isascii()
            and type(program) is str
            and type(timestamp) is str
        ):
            try:
                user_id, program_id, instant = int(user), parse_uuid(program), parse_timestamp(timestamp)
            except ValueError:
                pass
            else:
                if 0 < user_id <= MAX_LMS_USER_ID and instant <= latest:
                    return (user_id, program_id, instant, reason, certainty)
        return _checked_key(
            lms_user_id=user,
            program_uuid=program,
            reason=reason,
            certainty=certainty,
            effective_timestamp=timestamp,
            latest=latest,
        )

    return clean


def _checked_key(*, lms_user_id, program_uuid, reason, certainty, effective_timestamp, latest: datetime) -> tuple:
    errors = {}
    try:
        lms_user_id = _clean_lms_user_id(lms_user_id)
    except (TypeError, ValueError):
        errors["lms_user_id"] = f"Must be a whole number from 1 to {MAX_LMS_USER_ID}."
    try:
        program_uuid = _clean_program_uuid(program_uuid)
    except (TypeError, ValueError):
        errors["program_uuid"] = "Must be a UUID, such as 6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e."
    if not isinstance(reason, str) or reason not in _REASONS:
        errors["reason"] = f"Unknown reason; expected one of {', '.join(IntentReason.values)}."
    if not isinstance(certainty, str) or certainty not in _CERTAINTIES:
        errors["certainty"] = f"Unknown certainty; expected one of {', '.join(IntentCertainty.values)}."
    try:
        effective_timestamp = _clean_effective_timestamp(effective_timestamp, latest)
    except OverflowError:
        errors["effective_timestamp"] = "Must not be in the future."
    except (TypeError, ValueError):
        errors["effective_timestamp"] = (
            "Must be an ISO 8601 timestamp, such as 2022-07-01T00:00:00Z (no zone means UTC)."
        )
    if errors:
        for name, value in (
            ("lms_user_id", lms_user_id),
            ("program_uuid", program_uuid),
            ("reason", reason),
            ("certainty", certainty),
            ("effective_timestamp", effective_timestamp),
        ):
            if value is None or value == "":
                errors[name] = "This field is required."
        raise InvalidIntentError(errors)
    return (lms_user_id, program_uuid, effective_timestamp, str(reason), str(certainty))
