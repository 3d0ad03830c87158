"""
The API's request body parsers.

``JSONParser`` reads the JSON bodies of every endpoint. The bodies of
``POST /api/v1/program_intents/bulk/`` have two parsers of their own: JSON
``{"intents": [...]}`` and the bulk CSV report (``text/csv``), either optionally
gzip-compressed (``Content-Encoding: gzip``). Each reads at most ``max_bytes()`` (after
decompression: a small gzip can expand to gigabytes) and at most ``max_intents()``
intents, else a 413 before anything is written, and turns the body into a ``BulkBody``:
the rows for ``services.record_intents``, the items refused before it (not an object,
unknown fields, a record the CSV reader could not map), and how the answer names an item
(``index`` in the list, or ``line`` in the file). The CSV is read by the command's own
step (``intake.source.csv_rows``); the rules stay in the service.
"""

import csv
import io
import json
import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import orjson
from django.conf import settings
from django.utils import timezone
from django.utils.http import parse_header_parameters
from rest_framework import parsers
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.parsers import BaseParser

from pie.apps.api.errors import RequestTooLarge, TooManyIntents
from pie.apps.api.v1.fields import NON_FIELD_ERRORS_KEY, printable_name, unknown_field_errors
from pie.apps.intents.constants import IntentKey
from pie.apps.intents.exceptions import InvalidIntentError
from pie.apps.intents.intake.source import (
    COLUMN_OF_FIELD,
    CsvSourceError,
    MalformedRow,
    csv_rows,
    gunzipped,
)
from pie.apps.intents.validation import intent_key_cleaner

# The byte limit when PIE_BULK_API_MAX_BYTES is unset: room for a pretty-printed JSON
# intent (a compact one is about 190 bytes, a CSV record about 100).
BYTES_PER_INTENT = 512
FIELDS = frozenset(IntentKey._fields)
_ENCODINGS = {"": False, "identity": False, "gzip": True, "x-gzip": True}
_CHARSETS = {None, "utf-8", "utf8"}


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering a body nested too deeply to parse with a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


def max_intents() -> int:
    return settings.PIE_BULK_API_MAX_INTENTS


def max_bytes() -> int:
    return settings.PIE_BULK_API_MAX_BYTES or max_intents() * BYTES_PER_INTENT


@dataclass(slots=True)
class BulkBody:
    """
    A bulk body, read: ``rows`` for the service, the items ``refused`` before it (as the
    answer lists them), and ``name``, which says where a rejected row was: ``("index", i)``
    or ``("line", n)``. ``field_name`` is a service field as the body calls it.
    """

    kind: str
    items: int
    rows: list[Mapping]
    refused: list[dict] = field(default_factory=list)
    name: Callable[[Mapping], tuple[str, int]] = None
    field_name: Callable[[str], str] = str


def read_body(stream, *, request) -> bytes:
    """
    The body's bytes, decompressed if ``Content-Encoding: gzip``: 413 beyond ``max_bytes()``
    (compressed or not), 415 for another encoding, 400 for a broken gzip stream.
    """
    coding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if coding not in _ENCODINGS:
        detail = f"Content-Encoding {printable_name(coding)!r} is not supported: send gzip or none."
        raise UnsupportedMediaType(request.content_type, detail=detail)
    limit = max_bytes()
    too_large = f"The body is over {limit} bytes (once decompressed): send at most {max_intents()} intents a request."
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise RequestTooLarge(too_large)
    try:
        data = stream.read(limit + 1)
    except OSError:
        raise ParseError("The body could not be read to its end.") from None
    if _ENCODINGS[coding]:
        try:
            # GzipFile.read(n) inflates at most n bytes, whatever the stream would expand to.
            data = gunzipped(io.BytesIO(data)).read(limit + 1)
        except (OSError, EOFError, zlib.error) as error:
            raise ParseError(f"The body is not a complete gzip stream ({error}).") from None
    if len(data) > limit:
        raise RequestTooLarge(too_large)
    return data


def _check_charset(media_type: str | None) -> None:
    _, params = parse_header_parameters(media_type or "")
    charset = params.get("charset")
    if (charset.lower() if charset else None) not in _CHARSETS:
        detail = f"Charset {printable_name(charset)!r} is not supported: send UTF-8."
        raise UnsupportedMediaType(media_type, detail=detail)


def _too_many(count: int | str) -> TooManyIntents:
    return TooManyIntents(f"At most {max_intents()} intents a request; this one has {count}: send it in parts.")


class BulkJsonParser(BaseParser):
    """``{"intents": [{lms_user_id, program_uuid, reason, certainty, effective_timestamp}, ...]}``."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None) -> BulkBody:
        _check_charset(media_type)
        data = read_body(stream, request=parser_context["request"])
        return read_json(_json_document(data))


class OutOfRangeNumber:
    """
    A JSON number Python does not hold as one (an integer of more than 4,300 digits,
    ``sys.get_int_max_str_digits()``; a float beyond a double's range): valid JSON, kept in
    its place so that the item's own check refuses it, as any number where it does not belong.
    """

    __slots__ = ()


_OUT_OF_RANGE = OutOfRangeNumber()


def _int(text: str):
    try:
        return int(text)
    except ValueError:
        return _OUT_OF_RANGE


def _float(text: str):
    number = float(text)
    return number if math.isfinite(number) else _OUT_OF_RANGE


def _constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _json_document(data: bytes):
    """The body's JSON: orjson's parse, or, where orjson refuses valid JSON (a number beyond
    a double or 64 bits, which only an item's own check should refuse), the standard library's."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        fast_error = error
    try:
        return json.loads(data.decode("utf-8"), parse_int=_int, parse_float=_float, parse_constant=_constant)
    except (ValueError, RecursionError):
        raise ParseError(f"JSON parse error - {fast_error}") from None


def read_json(document) -> BulkBody:
    """A parsed JSON body as a ``BulkBody``; 400 if it is not ``{"intents": [...]}``, 413 over the limit."""
    if not isinstance(document, dict):
        raise ValidationError({NON_FIELD_ERRORS_KEY: ['Expected an object: {"intents": [...]}.']})
    if unknown := set(document) - {"intents"}:
        raise ValidationError(unknown_field_errors(unknown))
    if "intents" not in document:
        raise ValidationError({"intents": ["This field is required."]})
    items = document["intents"]
    if not isinstance(items, list):
        raise ValidationError({"intents": [f"Expected a list of intents, not {_json_type(items)}."]})
    if len(items) > max_intents():
        raise _too_many(len(items))
    rows, refused = [], []
    index_of = {}
    for index, item in enumerate(items):
        if type(item) is dict and item.keys() <= FIELDS:
            rows.append(item)
            index_of[id(item)] = index
        else:
            refused.append({"index": index, "errors": _item_errors(item)})
    return BulkBody(
        kind="json", items=len(items), rows=rows, refused=refused, name=lambda row: ("index", index_of[id(row)])
    )


def _item_errors(item) -> dict[str, list[str]]:
    """What is wrong with an item the service is not given: not an object, or unknown fields (and the rest)."""
    if not isinstance(item, dict):
        return {NON_FIELD_ERRORS_KEY: [f"Expected an object (an intent), not {_json_type(item)}."]}
    errors = {}
    try:
        intent_key_cleaner(now=timezone.now())(item)
    except InvalidIntentError as error:
        errors.update({name: [message] for name, message in error.errors.items()})
    errors.update(unknown_field_errors(set(item) - FIELDS))
    return errors


def _text(message: str) -> str:
    """A message that may quote the body, as JSON can carry it: encodable, and not too long."""
    text = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 500 else f"{text[:497]}..."


def _json_type(value) -> str:
    names = {list: "a list", dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


class BulkCsvParser(BaseParser):
    """The bulk CSV report (``bulk_insert_intents``' columns, header row), read by the command's code."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> BulkBody:
        _check_charset(media_type)
        return read_csv(read_body(stream, request=parser_context["request"]))


def read_csv(data: bytes) -> BulkBody:
    """A CSV body as a ``BulkBody``; 400 without a usable header row, 413 over the limit."""
    limit = max_intents()
    refused: list[dict] = []

    def malformed(row: MalformedRow) -> None:
        refused.append({"line": row.line, "errors": {NON_FIELD_ERRORS_KEY: [_text(row.message)]}})

    rows = []
    reading = None
    try:
        reading = csv_rows(io.BytesIO(data), on_malformed=malformed)
        for row in reading.rows:
            rows.append(row)
            if len(rows) + len(refused) > limit:
                raise _too_many(f"more than {limit}")
    except CsvSourceError as error:
        raise ParseError(f"CSV: {_text(str(error))}.") from None
    except csv.Error as error:
        where = "in its header" if reading is None else f"after line {reading.line_num}"
        raise ParseError(f"CSV: not readable {where} ({_text(str(error))}).") from None
    if len(rows) + len(refused) > limit:
        raise _too_many(len(rows) + len(refused))
    return BulkBody(
        kind="csv",
        items=len(rows) + len(refused),
        rows=rows,
        refused=refused,
        name=lambda row: ("line", row["line"]),
        field_name=lambda name: COLUMN_OF_FIELD.get(name, name),
    )
