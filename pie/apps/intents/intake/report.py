"""
What a bulk load of a CSV report tells its operator: rejected rows, and the totals.

Rejected rows are reported as they happen (never kept in memory, so a file of millions
of bad rows costs no more memory than a good one): one line each on the given stream,
and optionally one CSV record each in an errors file that can be fixed and loaded again.
"""

import csv
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TextIO

from pie.apps.intents.intake.source import COLUMN_OF_FIELD, MalformedRow, in_input_order
from pie.apps.intents.writing.batches import RecordIntentsResult, RejectedRow

# Columns the errors file puts before the original ones; a re-load ignores them as extra.
ERROR_COLUMNS = ("line_number", "rejection_reason")
# Malformed rows are held back (at most this many) to be reported in line order with the
# rows the service rejects from the same batch.
_MAX_PENDING = 1000


@dataclass(slots=True)
class LoadTotals:
    """Running totals of a load."""

    rows_read: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """The final (or, after an interruption, partial) account of a load."""

    file: str
    rows_read: int
    created: int
    duplicates: int
    rejected: int
    elapsed_seconds: float
    rows_per_second: float
    dry_run: bool
    interrupted: bool

    def as_text(self) -> str:
        verb = "would create" if self.dry_run else "created"
        state = " (interrupted: the rows after these were not read)" if self.interrupted else ""
        note = " Dry run: nothing was written." if self.dry_run else ""
        return (
            f"{self.file}: read {plural(self.rows_read, 'row')} in {self.elapsed_seconds:.1f} s "
            f"({self.rows_per_second:.0f} rows/s){state}: {verb} {self.created}, "
            f"duplicates {self.duplicates}, rejected {self.rejected}.{note}"
        )

    def as_json(self, **added) -> str:
        """The summary as one JSON object, with what a load adds after its batches (``added``)."""
        return json.dumps({**asdict(self), **added}, sort_keys=True)


class ErrorsFileError(Exception):
    """The errors file could not be written (a full disk...): the operator's record is incomplete."""


class TooManyRejected(Exception):
    """More rows were rejected than ``--max-rejected`` allows: the load stops."""

    def __init__(self, max_rejected: int):
        super().__init__(f"more than {plural(max_rejected, 'row')} rejected (--max-rejected)")


class LoadReport:
    """
    Counts a load's outcome and reports each rejected row: every one to the errors file,
    the first ``shown`` to the terminal stream (then only a count).
    """

    def __init__(
        self,
        *,
        file: str,
        stream: TextIO,
        errors_file: TextIO | None,
        dry_run: bool,
        max_rejected: int | None = None,
        shown: int = 100,
        column_of_field: Mapping[str, str] = COLUMN_OF_FIELD,
    ):
        self.file = file
        self.totals = LoadTotals()
        self.dry_run = dry_run
        self.max_rejected = max_rejected
        self._stream = stream
        self._errors_file = errors_file
        self._errors = csv.writer(errors_file) if errors_file is not None else None
        self._has_errors_file = errors_file is not None
        self._shown, self._printed, self._not_shown = shown, 0, 0
        self._started = time.monotonic()
        self._pending: list[tuple[int, list[str], str]] = []
        # The last line of the last batch committed under max_rejected (0: none yet).
        self.kept_through = 0
        self._column_of_field = column_of_field

    @property
    def has_errors_file(self) -> bool:
        return self._has_errors_file

    def start_errors_file(self, *, header: list[str]) -> None:
        """Write the errors file's header: the error columns, then the original ones."""
        self._to_errors_file([[*ERROR_COLUMNS, *header]])

    def add_batch(self, result: RecordIntentsResult) -> None:
        totals = self.totals
        totals.inserted += result.inserted
        totals.duplicates += result.duplicates
        totals.rows_read += result.rows
        totals.rejected += len(result.rejected)
        rejected = [
            (row.row["line"], row.row["fields"], describe(row, self._column_of_field)) for row in result.rejected
        ]
        if self._pending:
            rejected = in_input_order(self._pending, rejected, position=lambda item: item[0])
            self._pending = []
        self._write(rejected)
        if self.dry_run:  # nothing is committed, so nothing is kept from crossing the limit
            self._check_rejected()

    def keep_batch(self, result: RecordIntentsResult, rows: list[Mapping]) -> bool:
        """
        Whether a batch may be committed (``services.iter_record_intents``' ``keep``): not
        when its rejections, with those of the lines before it, pass ``max_rejected``.
        Malformed records already read past the batch's last line do not count against it.
        """
        if self.max_rejected is None or not rows:
            return True
        last_line = rows[-1]["line"]
        later = sum(1 for line, _, _ in self._pending if line > last_line)
        if self.totals.rejected - later + len(result.rejected) > self.max_rejected:
            return False
        self.kept_through = last_line
        return True

    def add_malformed(self, malformed: MalformedRow) -> None:
        self.totals.rows_read += 1
        self.totals.rejected += 1
        self._pending.append((malformed.line, malformed.fields, malformed.message))
        if len(self._pending) >= _MAX_PENDING:
            self.flush()
        self._check_rejected()

    def flush(self) -> None:
        """Report the rejected rows held back; call before the summary."""
        pending, self._pending = self._pending, []
        self._write(pending)

    def close(self) -> None:
        """Report what is held back and close the errors file (``ErrorsFileError`` if it fails)."""
        self.flush()
        errors_file, self._errors_file = self._errors_file, None
        if errors_file is not None:
            self._errors = None
            try:
                errors_file.close()
            except OSError as error:
                raise ErrorsFileError(f"cannot write the errors file: {error.strerror or error}") from None

    def _check_rejected(self) -> None:
        if self.max_rejected is not None and self.totals.rejected > self.max_rejected:
            # What is held back is reported when the report closes, after the batch in hand
            # (which keep_batch judges by the lines before it) is written or refused.
            raise TooManyRejected(self.max_rejected)

    def _write(self, rejected: list[tuple[int, list[str], str]]) -> None:
        if not rejected:
            return
        shown = rejected[: max(self._shown - self._printed, 0)]
        self._stream.write("".join(f"line {line}: {reason}\n" for line, _, reason in shown))
        self._printed += len(shown)
        self._not_shown += len(rejected) - len(shown)
        self._to_errors_file([line, reason, *fields] for line, fields, reason in rejected)

    def _to_errors_file(self, records) -> None:
        if self._errors is None:
            return
        try:
            self._errors.writerows(records)
            self._errors_file.flush()
        except OSError as error:
            # Stop writing it (the summary must not fail the same way) and say so.
            self._errors = None
            raise ErrorsFileError(f"cannot write the errors file: {error.strerror or error}") from None

    def not_shown_note(self) -> str | None:
        """What the terminal did not show, if anything: a line for the end of the report."""
        if not self._not_shown:
            return None
        where = "all are in the errors file" if self.has_errors_file else "--errors-file keeps them all"
        rows = "row" if self._not_shown == 1 else "rows"
        return f"... and {self._not_shown} more rejected {rows} not shown here ({where})"

    def summary(self, *, interrupted: bool = False) -> LoadSummary:
        self.flush()
        elapsed = time.monotonic() - self._started
        totals = self.totals
        return LoadSummary(
            file=self.file,
            rows_read=totals.rows_read,
            created=totals.inserted,
            duplicates=totals.duplicates,
            rejected=totals.rejected,
            elapsed_seconds=round(elapsed, 3),
            rows_per_second=round(totals.rows_read / elapsed, 1) if elapsed > 0 else 0.0,
            dry_run=self.dry_run,
            interrupted=interrupted,
        )


def describe(rejected: RejectedRow, column_of_field: Mapping[str, str] = COLUMN_OF_FIELD) -> str:
    """One line naming each column at fault (by ``column_of_field``), its value, and what is wrong with it."""
    return "; ".join(
        f"{column_of_field.get(field, field)} {_value(rejected.row, field)}: {message}"
        for field, message in rejected.errors.items()
    )


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural but for 1 (``1 row``, ``2 rows``, ``0 rows``)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _value(row: Mapping, field: str) -> str:
    value = row.get(field)
    return repr(value if len(str(value)) <= 60 else f"{str(value)[:57]}...")
