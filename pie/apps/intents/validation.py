"""
The rules an intent's values must meet, shared by every write path.

``clean_intent`` turns raw values (Python objects, or the strings of a CSV file or an
event) into an ``IntentKey``, or raises ``InvalidIntentError`` naming each field at fault.
``intent_key_cleaner`` applies the same rules to the many rows of a batch.
"""

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from django.conf import settings

from pie.apps.core.lms import LMS_USER_ID_RULE, parse_lms_user_id
from pie.apps.intents.constants import IntentCertainty, IntentKey, IntentReason
from pie.apps.intents.exceptions import InvalidIntentError

_REASONS = frozenset(IntentReason.values)
_CERTAINTIES = frozenset(IntentCertainty.values)
# The timestamps PIE reads: ISO 8601's extended forms, a date alone or a date and a time
# (separated by "T" or a space) with an optional zone, and the warehouse's form, which
# puts spaces before its "Z" (2022-07-01 00:00:00 Z). ASCII digits only: datetime's
# own fromisoformat also takes forms no one documents (basic format, 64 digits).
_TIMESTAMP = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ](?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?) *(?P<zone>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
# A UUID's 32 hex digits, bare or in the hyphenated form: uuid.UUID alone also takes
# braces, "urn:uuid:", hyphens anywhere, and (through int()) a sign or underscores.
_UUID = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

_REQUIRED = "This field is required."
_MESSAGES = {
    "lms_user_id": LMS_USER_ID_RULE,
    "program_uuid": "Must be a UUID, such as 6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e.",
    "reason": f"Unknown reason; expected one of {', '.join(IntentReason.values)}.",
    "certainty": f"Unknown certainty; expected one of {', '.join(IntentCertainty.values)}.",
    "effective_timestamp": "Must be an ISO 8601 timestamp, such as 2022-07-01T00:00:00Z (no zone means UTC).",
}
_IN_THE_FUTURE = "Must not be in the future."
_OUT_OF_RANGE = "Out of range: must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z once in UTC."


class TimestampOutOfRangeError(ValueError):
    """A well-formed timestamp that falls before year 1 or after year 9999 once in UTC."""

    message = _OUT_OF_RANGE


class _InTheFutureError(ValueError):
    """An effective timestamp later than the clock and its skew allow."""


def max_clock_skew() -> timedelta:
    """How far in the future an effective timestamp may be."""
    return timedelta(seconds=settings.PIE_INTENT_MAX_CLOCK_SKEW_SECONDS)


def parse_timestamp(value: str) -> datetime:
    """
    Parse a timestamp of the documented forms: ISO 8601 (``2022-07-01T00:00:00Z``,
    ``2022-07-01T02:00:00+02:00``, ``2022-07-01``), or the warehouse form
    ``2022-07-01 00:00:00 Z``. Surrounding spaces are ignored; naive timestamps are taken as
    UTC. Raises ``ValueError`` on anything else: ``TimestampOutOfRangeError`` for a
    well-formed timestamp beyond year 1 to 9999 once in UTC (``0001-01-01T00:00:00+05:00``).
    """
    match = _TIMESTAMP.fullmatch(value.strip(" "))
    if match is None:
        raise ValueError(f"{value[:40]!r} is not an ISO 8601 timestamp")
    date, time, zone = match.group("date", "time", "zone")
    parsed = datetime.fromisoformat(f"{date}T{time}" if time else date)
    if zone is None or zone in "Zz":
        return parsed.replace(tzinfo=UTC)
    return _in_utc(parsed.replace(tzinfo=_zone(zone)))


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # Such as 0001-01-01T00:00:00+01:00: before year 1 once in UTC.
        raise TimestampOutOfRangeError(f"{value.isoformat()!r} is out of range in UTC") from None


def _clean_program_uuid(value) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise ValueError
    return parse_uuid(value)


@lru_cache(maxsize=256)
def _zone(text: str) -> timezone:
    """
    The fixed offset of ``+HH``, ``+HHMM`` or ``+HH:MM`` (or ``-``); ``ValueError`` for hours
    over 23 or minutes over 59 (``+00:99`` is no offset: timedelta would read it as 1:39).
    """
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is not a UTC offset")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if text[0] == "-" else offset)


# A bulk load names a few thousand programs over millions of rows: each UUID text is
# parsed once. Only valid texts are cached.
@lru_cache(maxsize=65536)
def parse_uuid(text: str) -> uuid.UUID:
    """A UUID written as 32 hex digits, bare or hyphenated (surrounding spaces ignored); ``ValueError`` otherwise."""
    stripped = text.strip(" ")
    if not _UUID.fullmatch(stripped):
        raise ValueError(f"{text[:40]!r} is not a UUID")
    return uuid.UUID(stripped)


def _clean_effective_timestamp(value, latest: datetime) -> datetime:
    if isinstance(value, str):
        value = parse_timestamp(value)
    elif isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else _in_utc(value)
    else:
        raise TypeError
    if value > latest:
        raise _InTheFutureError
    return value


def _clean_reason(value) -> str:
    if not isinstance(value, str) or value not in _REASONS:
        raise ValueError
    return str(value)


def _clean_certainty(value) -> str:
    if not isinstance(value, str) or value not in _CERTAINTIES:
        raise ValueError
    return str(value)


def clean_intent(values: Mapping, *, now: datetime) -> IntentKey:
    """
    Check and normalise one intent's values (a mapping of ``IntentKey``'s fields; other
    keys are ignored); raise ``InvalidIntentError`` if any is bad.

    ``now`` is the caller's clock, passed in so that a batch uses one reading of it.
    Every field is checked, so the error names all the fields at fault at once.
    """
    return _checked_key(values, latest=now + max_clock_skew())


def intent_key_cleaner(*, now: datetime) -> Callable[[Mapping], IntentKey]:
    """
    Return a function that checks one row's values and returns its ``IntentKey``.

    A row is a mapping with a key for each field of ``IntentKey`` (other keys are
    ignored). The rules and errors are those of ``clean_intent`` (it raises
    ``InvalidIntentError``), for the many rows of a batch: the clock and the skew setting
    are read once, and rows of valid strings (an id may be an int) take a short path.
    """
    latest = now + max_clock_skew()
    reasons, certainties, new_key = _REASONS, _CERTAINTIES, tuple.__new__

    def clean(row: Mapping) -> IntentKey:
        user, program, timestamp = row.get("lms_user_id"), row.get("program_uuid"), row.get("effective_timestamp")
        reason, certainty = row.get("reason"), row.get("certainty")
        # The short path accepts a subset of what the full check accepts, and gives the
        # same key (test_validation compares the two); anything else takes the full check,
        # which finds and names every fault.
        if (
            type(reason) is str
            and reason in reasons
            and type(certainty) is str
            and certainty in certainties
            and type(program) is str
            and type(timestamp) is str
        ):
            try:
                user_id, program_id, instant = parse_lms_user_id(user), parse_uuid(program), parse_timestamp(timestamp)
            except ValueError:
                pass
            else:
                if instant <= latest:
                    # tuple.__new__ skips the Python frame of IntentKey's own __new__ (once per row).
                    return new_key(IntentKey, (user_id, program_id, instant, reason, certainty))
        return _checked_key(row, latest=latest)

    return clean


def _checked_key(raw: Mapping, *, latest: datetime) -> IntentKey:
    """Every field of ``raw`` checked (each fault named), as an ``IntentKey``."""
    cleaners = {
        "lms_user_id": parse_lms_user_id,
        "program_uuid": _clean_program_uuid,
        "effective_timestamp": lambda value: _clean_effective_timestamp(value, latest),
        "reason": _clean_reason,
        "certainty": _clean_certainty,
    }
    values, errors = {}, {}
    for name in IntentKey._fields:
        value = raw.get(name)
        try:
            values[name] = cleaners[name](value)
        except _InTheFutureError:
            errors[name] = _IN_THE_FUTURE
        except TimestampOutOfRangeError:
            errors[name] = _OUT_OF_RANGE
        except (TypeError, ValueError):
            errors[name] = _REQUIRED if value is None or value == "" else _MESSAGES[name]
    if errors:
        raise InvalidIntentError(errors)
    return IntentKey(**values)
