"""
Reading the warehouse's CSV files as a stream of rows for a service layer: its reports of
program intents, and the engagement backfills' exports of enrollments and course passes.

This module knows the file format only: where the bytes come from (a path, standard input,
a request's body; gzip or not), which header column holds which field, and which lines are
not well-formed CSV records. ``csv_rows`` is the one step from bytes to rows, for
``bulk_insert_intents`` and the bulk API (an intents report's ``COLUMNS``) and for
``bulk_insert_enrollments`` and ``bulk_insert_course_passes`` (the columns engagement's
``backfill`` gives). Whether a value is acceptable is for the reader's service layer: the
intents' ``validation`` through ``services``, or engagement's ``backfill``.
"""

import csv
import gzip
import heapq
import io
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pie.apps.intents.constants import IntentKey
from pie.apps.intents.intake.lines import MAX_LINE_CHARS, BoundedLines

# How the CSV text is decoded, and the errors file encoded: bytes that are not UTF-8 round-trip.
SURROGATE_ESCAPE = "surrogateescape"

# Warehouse column name -> field of constants.IntentKey.
COLUMNS = {
    "program_uuid": "program_uuid",
    "user_id": "lms_user_id",
    "intent_reason": "reason",
    "intent_certainty": "certainty",
    "effective_time": "effective_timestamp",
}
# Service field name -> warehouse column name, to report errors in the file's terms.
COLUMN_OF_FIELD = {field: column for column, field in COLUMNS.items()}
# What a warehouse pads a cell with; trimmed from the user_id cell, the one value whose rule
# takes no spaces elsewhere (pie.apps.core.lms).
_PADDING = " \t"

STDIN = "-"
_GZIP_MAGIC = b"\x1f\x8b"


class CsvSourceError(Exception):
    """The file cannot be loaded at all: missing, unreadable, empty or lacking a column."""


@dataclass(frozen=True, slots=True)
class MalformedRow:
    """A record that cannot be mapped to columns (its field count, its length, its quoting), and why."""

    line: int
    fields: list[str]
    message: str


def gunzipped(raw: BinaryIO) -> BinaryIO:
    """The bytes of the gzip stream ``raw``, inflated as they are read."""
    return gzip.GzipFile(fileobj=raw, mode="rb")


@dataclass(slots=True)
class OpenedSource:
    """An opened CSV file: its bytes (inflated if gzip), and the file whose position tells progress."""

    name: str
    binary: BinaryIO
    raw: BinaryIO
    size: int | None

    def position(self) -> int:
        """Bytes consumed so far from the underlying file (compressed bytes for gzip)."""
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        if self.name == STDIN:
            return  # standard input stays open
        # Closing the gzip layer leaves the file it was given open.
        if self.binary is not self.raw:
            self.binary.close()
        self.raw.close()


def open_source(*, path: str) -> OpenedSource:
    """
    Open ``path`` (``-`` for standard input; ``*.gz``, or gzip data on standard input, as gzip).
    Raises ``CsvSourceError`` when the file is missing or cannot be opened.
    """
    if path == STDIN:
        raw = sys.stdin.buffer
        size = None
        is_gzip = _peek(raw).startswith(_GZIP_MAGIC)
    else:
        file_path = Path(path)
        try:
            raw = file_path.open("rb")
        except FileNotFoundError:
            raise CsvSourceError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise CsvSourceError(f"{path}: is a directory, not a CSV file") from None
        except OSError as error:
            raise CsvSourceError(f"{path}: cannot open: {error.strerror or error}") from None
        size = file_path.stat().st_size
        is_gzip = file_path.suffix.lower() == ".gz"
    return OpenedSource(name=path, binary=gunzipped(raw) if is_gzip else raw, raw=raw, size=size)


def _peek(raw: BinaryIO) -> bytes:
    peek = getattr(raw, "peek", None)
    return peek(2)[:2] if peek else b""


@dataclass(frozen=True, slots=True)
class Header:
    """The header row as read, and the index of each row field's column."""

    names: list[str]
    positions: dict[str, int]


@dataclass(slots=True)
class CsvRows:
    """
    A CSV file being read: its header, its rows (``rows``, an iterator of mappings keyed
    by row field, plus ``line`` and ``fields``), and how far the reading got.
    """

    header: Header
    rows: Iterator[dict]
    lines: BoundedLines
    _text: io.TextIOWrapper
    _reader: object

    @property
    def line_num(self) -> int:
        """The last line read (the header is line 1)."""
        return self._reader.line_num

    def detach(self) -> None:
        """Let go of the byte stream without closing it: its owner closes it."""
        self._text.detach()


def csv_rows(
    binary: BinaryIO,
    *,
    on_malformed: Callable[[MalformedRow], None],
    should_stop: Callable[[], bool] = lambda: False,
    columns: Mapping[str, str] = COLUMNS,
    optional: frozenset[str] = frozenset(),
) -> CsvRows:
    """
    Read a CSV file from ``binary``: its header now, its rows as they are iterated.

    ``columns`` maps the file's column names to the rows' field names: by default an
    intents report's (``COLUMNS``); the engagement backfills give theirs. A column of
    ``optional`` may be missing (its field is then ``""``). The ``user_id`` column's cell is
    trimmed of padding.

    Text is decoded as UTF-8, a leading byte-order mark dropped; a byte that is not UTF-8
    costs its row, not the file: it is read as a lone surrogate (``surrogateescape``), which
    no check accepts, and written back as the same byte to an errors file. Lines are read
    with a bounded length (``BoundedLines``); the csv module's default dialect (commas,
    double quotes), not ``strict``, so that a stray quote costs one row (rejected for its
    field count or its values), not the whole load. A record that cannot be mapped to the
    header's columns goes to ``on_malformed``, in the order of the file. ``should_stop`` is
    asked between chunks whether to stop reading (a signal). Raises ``CsvSourceError``
    without a usable header row.
    """
    # newline="" lets the csv module see the line endings, as its documentation requires.
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors=SURROGATE_ESCAPE, newline="")

    def overlong(line: int) -> None:
        on_malformed(MalformedRow(line=line, fields=[], message=f"longer than {MAX_LINE_CHARS} characters: not read"))

    lines = BoundedLines(text, on_overlong=overlong, should_stop=should_stop)
    reader = csv.reader(lines)
    try:
        header = _read_header(reader, columns, optional)
    except BaseException:
        text.detach()
        raise
    rows = (
        _rows(reader, header, on_malformed) if columns is COLUMNS else _rows_of(reader, header, columns, on_malformed)
    )
    return CsvRows(header=header, rows=rows, lines=lines, _text=text, _reader=reader)


def _read_header(reader, columns: Mapping[str, str], optional: frozenset[str]) -> Header:
    """
    The header row: the column names, and each row field's column index.

    Column names match without regard to case or surrounding spaces; extra columns are
    ignored. Raises ``CsvSourceError`` when the file is empty or a column is missing or
    repeated.
    """
    for header in reader:
        if header and any(name.strip() for name in header):
            break
    else:
        raise CsvSourceError("the file is empty: expected a header row naming " + ", ".join(columns))
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().casefold()
        if key not in columns:
            continue
        if columns[key] in positions:
            raise CsvSourceError(f"the header names column {key} twice")
        positions[columns[key]] = index
    missing = [column for column, field in columns.items() if field not in positions and column not in optional]
    if missing:
        raise CsvSourceError(
            f"the header lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {', '.join(name.strip() for name in header)})"
        )
    return Header(names=header, positions=positions)


def _rows(reader, header: Header, on_malformed: Callable[[MalformedRow], None]) -> Iterator[dict]:
    """
    One mapping per data record of an intents report, keyed by ``IntentKey``'s fields, plus
    ``line`` and ``fields``.

    ``line`` is the record's first line in the file (the header is line 1) and ``fields``
    the record as read, so a rejected row can be reported and written back as it was.
    """
    # The fields in IntentKey's order and their columns, unpacked for a dict display: the
    # cheapest way to build a row, once per record. The first is the learner's id (the
    # unique index leads with it), the one cell trimmed.
    f0, f1, f2, f3, f4 = IntentKey._fields
    i0, i1, i2, i3, i4 = (header.positions[name] for name in IntentKey._fields)
    for line, fields in _records(reader, len(header.names), on_malformed):
        yield {
            f0: fields[i0].strip(_PADDING),
            f1: fields[i1],
            f2: fields[i2],
            f3: fields[i3],
            f4: fields[i4],
            "line": line,
            "fields": fields,
        }


def _rows_of(
    reader, header: Header, columns: Mapping[str, str], on_malformed: Callable[[MalformedRow], None]
) -> Iterator[dict]:
    """``_rows`` for any ``columns`` (the backfills'): a missing optional column's field is ``""``."""
    positions = [(field, header.positions.get(field)) for field in columns.values()]
    learner = columns.get("user_id")
    for line, fields in _records(reader, len(header.names), on_malformed):
        row = {field: "" if index is None else fields[index] for field, index in positions}
        if learner is not None:
            row[learner] = row[learner].strip(_PADDING)
        yield {**row, "line": line, "fields": fields}


def _records(reader, width: int, on_malformed: Callable[[MalformedRow], None]) -> Iterator[tuple[int, list[str]]]:
    """
    Each data record of ``width`` fields with its first line. Blank lines are skipped. A
    record with more or fewer fields than the header goes to ``on_malformed`` instead: its
    values cannot be trusted to sit in their columns.
    """
    line = reader.line_num + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # Such as a field over the csv module's size limit: the record is lost, not the
            # file. The reader goes on at the next line; a reader that did not move is stuck.
            if reader.line_num < line:
                raise
            on_malformed(MalformedRow(line=line, fields=[], message=f"not a readable CSV record: {error}"))
            line = reader.line_num + 1
            continue
        if len(fields) == width:
            yield line, fields
        elif fields:
            message = f"expected {width} fields as in the header, found {len(fields)}"
            on_malformed(MalformedRow(line=line, fields=fields, message=message))
        line = reader.line_num + 1


def in_input_order[T](*runs: Iterable[T], position: Callable[[T], int]) -> list[T]:
    """
    Rejections of one stretch of input, from several sources (the reader's malformed
    records, the service's rejected rows), each already in input order, as one list in the
    order of the input: by ``position``, a line or an index.
    """
    return list(heapq.merge(*runs, key=position))
