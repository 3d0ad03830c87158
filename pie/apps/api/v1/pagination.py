"""
PIE's cursor pages: DRF's cursor format (``{"next", "previous", "results"}``, opaque
cursors) over the selectors' keyset pages.

DRF's ``CursorPagination`` pages a queryset by its ordering; PIE's program reads rank
intents in SQL of their own (``selectors.ranking.ranked_sql``), so the selectors page
by key themselves and this module only carries the position. A cursor holds the first
page's time (a walk reads the intents recorded by then, so a write begun while it pages
neither repeats a row nor pushes one out; one in flight then, stamped before its commit,
shows on the pages read after the commit: docs/api.rst), the direction, and the key of
the row it continues from. A cursor that does not decode to such values is a 400.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Longer than any cursor PIE writes (a JSON list of five numbers, in base64).
CURSOR_MAX_LENGTH = 200

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_KEY = 2**63 - 1
_INVALID = "Invalid cursor: use the next or previous link of a page."


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the walk's time, the direction, and the key of the row it continues from."""

    recorded_by: datetime
    backwards: bool
    key: tuple[int, ...]


def microseconds(value: datetime) -> int:
    """An aware datetime as whole microseconds since 1970 (UTC), as a cursor carries times."""
    return (value - _EPOCH) // timedelta(microseconds=1)


def from_microseconds(value: int) -> datetime:
    """The inverse of ``microseconds``; ``ValueError`` out of the range of datetimes."""
    try:
        return _EPOCH + timedelta(microseconds=value)
    except OverflowError:
        raise ValueError(value) from None


def encode_cursor(cursor: Cursor) -> str:
    values = [microseconds(cursor.recorded_by), "b" if cursor.backwards else "a", *cursor.key]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(text: str, *, key_length: int) -> Cursor:
    """
    The cursor of a page's link, or ``ValidationError`` (a 400) for anything PIE did not
    write: bad base64 or JSON, another shape, a time in the future, a key out of range.
    """
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != 2 + key_length:
            raise ValueError
        at, direction, *key = values
        # A key may be a time before 1970 (an old effective time); the walk's time is not.
        if direction not in ("a", "b") or not all(_is_key(value) for value in [at, *key]) or at < 0:
            raise ValueError
        recorded_by = from_microseconds(at)
        if recorded_by > timezone.now():
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise invalid_cursor() from None
    return Cursor(recorded_by=recorded_by, backwards=direction == "b", key=tuple(key))


def page_start(cursor: str | None, *, key_length: int) -> tuple[Cursor | None, datetime]:
    """The cursor a page starts from (None: the first page), and the walk's time: the cursor's, else now."""
    if cursor is None:
        return None, timezone.now()
    start = decode_cursor(cursor, key_length=key_length)
    return start, start.recorded_by


def invalid_cursor() -> serializers.ValidationError:
    """The 400 of a cursor that decodes to values its endpoint cannot continue from."""
    return serializers.ValidationError({"cursor": [_INVALID]})


def _is_key(value) -> bool:
    # bool is an int in Python; a cursor's numbers are never true or false.
    return type(value) is int and -_MAX_KEY <= value <= _MAX_KEY


def page_body(request, *, results: list, recorded_by: datetime, start: Cursor | None, more: bool, key_of) -> dict:
    """
    A page in DRF's cursor format. ``start`` is the cursor the page was read from (None:
    the first page), ``more`` whether rows lie beyond the page in the direction read, and
    ``key_of`` a row's key. ``next`` and ``previous`` are the request's URL with the
    cursor replaced, the other parameters kept.
    """
    backwards = start is not None and start.backwards
    has_next, has_previous = (True, more) if backwards else (more, start is not None)
    url = request.build_absolute_uri()

    def link(row, *, to_previous: bool) -> str:
        cursor = Cursor(recorded_by=recorded_by, backwards=to_previous, key=key_of(row))
        return replace_query_param(url, "cursor", encode_cursor(cursor))

    return {
        "next": link(results[-1], to_previous=False) if has_next and results else None,
        "previous": link(results[0], to_previous=True) if has_previous and results else None,
        "results": results,
    }
