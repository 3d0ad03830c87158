"""
Reading warehouse CSV reports of program intents, as a stream of rows for the service layer.

This module knows the file format only: where the bytes come from (a path, standard input,
gzip), which header column holds which field, and which lines are not well-formed CSV
records. Whether a value is acceptable is for ``validation``, through ``services``.
"""

import csv
import gzip
import io
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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

STDIN = "-"
_GZIP_MAGIC = b"\x1f\x8b"


class CsvSourceError(Exception):
    """The file cannot be loaded at all: missing, unreadable, empty or lacking a column."""


@dataclass(frozen=True, slots=True)
class MalformedRow:
    """A record whose number of fields differs from the header's: it cannot be mapped to columns."""

    line: int
    fields: list[str]
    message: str


@dataclass(slots=True)
class OpenedSource:
    """An opened CSV source: its text, and the binary stream whose position tells progress."""

    name: str
    text: io.TextIOWrapper
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
            # Let go of standard input without closing it (closing the wrapper would).
            self.text.detach()
            return
        # Closing the wrapper closes the gzip layer, which leaves the file it was given open.
        self.text.close()
        self.raw.close()


def open_source(*, path: str) -> OpenedSource:
    """
    Open ``path`` (``-`` for standard input; ``*.gz``, or gzip data on standard input, as gzip).

    Text is decoded as UTF-8, a leading byte-order mark dropped; bytes that are not UTF-8
    are kept as lone surrogates (``surrogateescape``). Raises ``CsvSourceError``
    when the file is missing or cannot be opened.
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
    binary = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip else raw
    # newline="" lets the csv module see the line endings, as its documentation requires.
    # A byte that is not UTF-8 costs its row, not the file: it is read as a lone surrogate,
    # which no check accepts, and written back as the same byte to the errors file.
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors=SURROGATE_ESCAPE, newline="")
    return OpenedSource(name=path, text=text, raw=raw, size=size)


def _peek(raw: BinaryIO) -> bytes:
    peek = getattr(raw, "peek", None)
    return peek(2)[:2] if peek else b""


@dataclass(frozen=True, slots=True)
class Header:
    """The header row as read, and the index of each service field's column."""

    names: list[str]
    positions: dict[str, int]


def read_header(*, reader) -> Header:
    """
    Read the header row: the column names, and each service field's column index.

    Column names match without regard to case or surrounding spaces; extra columns are
    ignored. Raises ``CsvSourceError`` when the file is empty or a column is missing or
    repeated.
    """
    for header in reader:
        if header and any(name.strip() for name in header):
            break
    else:
        raise CsvSourceError("the file is empty: expected a header row naming " + ", ".join(COLUMNS))
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().casefold()
        if key not in COLUMNS:
            continue
        if COLUMNS[key] in positions:
            raise CsvSourceError(f"the header names column {key} twice")
        positions[COLUMNS[key]] = index
    missing = [column for column, field in COLUMNS.items() if field not in positions]
    if missing:
        raise CsvSourceError(
            f"the header lacks column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(found: {', '.join(name.strip() for name in header)})"
        )
    return Header(names=header, positions=positions)


def iter_rows(
    *,
    reader,
    header: Header,
    on_malformed: Callable[[MalformedRow], None],
) -> Iterator[dict]:
    """
    Yield one mapping per data record, keyed by service field, plus ``line`` and ``fields``.

    ``line`` is the record's first line in the file (the header is line 1) and ``fields``
    the record as read, so a rejected row can be reported and written back as it was.
    Blank lines are skipped. A record with more or fewer fields than the header goes to
    ``on_malformed`` instead: its values cannot be trusted to sit in their columns.
    """
    width = len(header.names)
    at = header.positions
    user, program, timestamp, reason, certainty = (
        at["lms_user_id"],
        at["program_uuid"],
        at["effective_timestamp"],
        at["reason"],
        at["certainty"],
    )
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
            # A dict display, not dict(zip(...)): it is the cheaper of the two per row.
            yield {
                "lms_user_id": fields[user],
                "program_uuid": fields[program],
                "effective_timestamp": fields[timestamp],
                "reason": fields[reason],
                "certainty": fields[certainty],
                "line": line,
                "fields": fields,
            }
        elif fields:
            on_malformed(
                MalformedRow(
                    line=line,
                    fields=fields,
                    message=f"expected {width} fields as in the header, found {len(fields)}",
                )
            )
        line = reader.line_num + 1


def make_reader(lines: Iterable[str]):
    """
    A csv reader for warehouse reports: the csv module's default dialect (commas, double
    quotes), over a text's lines (``lines.BoundedLines``, which bounds their length).

    Not ``strict``: a stray quote then costs one row (rejected for its field count or its
    values), not the whole load.
    """
    return csv.reader(lines)
