"""
The one implementation of a CSV load command: ``bulk_insert_intents`` and the engagement
backfills (``bulk_insert_enrollments``, ``bulk_insert_course_passes``) are its subclasses.

It reads the file (``source``), hands its rows to the subclass's ``load_batches`` (which
writes them through its service layer, a batch a transaction, and yields what each batch
did), and accounts for them (``report``: rejected rows streamed to the terminal and the
errors file as they come, so memory stays flat whatever their number; the totals, the time
and the rate), with the options ``--batch-size``, ``--sleep``, ``--errors-file``,
``--dry-run``, ``--json``, ``--max-rejected`` and ``--progress-interval``, and the exit
statuses below. docs/bulk_load.rst is the operator's guide.
"""

import contextlib
import csv
import gc
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from pie.apps.intents.intake.progress import Progress
from pie.apps.intents.intake.report import ErrorsFileError, LoadReport, LoadSummary, TooManyRejected, plural
from pie.apps.intents.intake.source import COLUMNS, SURROGATE_ESCAPE, CsvSourceError, csv_rows, open_source
from pie.apps.intents.intake.stopping import Pause, SignalStop, stop_on_signals
from pie.apps.intents.writing.batches import BatchRefused, RecordIntentsResult

# Exit statuses besides 0 (every row loaded or already there) and 1 (the file could not
# be loaded at all: Django's status for a CommandError).
EXIT_ROWS_REJECTED = 2
EXIT_INTERRUPTED = 130

# What reading a file can raise part-way: bad UTF-8, a broken gzip stream, a disk error.
_READ_ERRORS = (UnicodeDecodeError, csv.Error, OSError, EOFError)


class LoadCommand(BaseCommand):
    """
    A CSV load. A subclass names its ``columns`` (report column -> row field; ``optional``
    ones may be missing), what it records (``record``, a noun) and its
    ``default_batch_size``, and implements ``load_batches``; ``after_load`` may add to the
    summary (the backfills' evaluation).
    """

    columns: Mapping[str, str] = COLUMNS
    optional: frozenset[str] = frozenset()
    record = "intent"
    default_batch_size: int

    def load_batches(
        self, rows: Iterable[dict], *, batch_size: int, dry_run: bool, check_ahead: bool, keep
    ) -> Iterator[RecordIntentsResult]:
        """
        Write ``rows`` a batch a transaction, yielding what each batch did; ``keep(result,
        rows)``, if given, is asked before a batch is committed, and a refusal raises
        ``BatchRefused`` with nothing of the batch written. With ``dry_run``, nothing is written.
        """
        raise NotImplementedError

    def after_load(self, report: LoadReport) -> dict:
        """What the subclass adds to the summary after the batches (its JSON keys), if anything."""
        return {}

    def describe_after_load(self, added: dict) -> str:
        """``after_load``'s additions as the end of the summary line."""
        return ""

    def file_of(self, options: dict) -> str:
        """The file argument (a subclass may accept another spelling of it)."""
        if not options["file"]:
            raise CommandError("give the CSV file to load (FILE, or '-' for standard input)")
        return options["file"]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", metavar="FILE", help="the CSV file; '-' for standard input")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=self.default_batch_size,
            help=f"rows per transaction (default {self.default_batch_size})",
        )
        parser.add_argument("--sleep", type=float, default=0.0, metavar="SECONDS", help="pause between batches")
        parser.add_argument("--errors-file", metavar="PATH", help="also write the rejected rows to this CSV file")
        parser.add_argument("--dry-run", action="store_true", help="check and count the rows, write nothing")
        parser.add_argument("--json", action="store_true", help="end standard output with the summary as JSON")
        parser.add_argument(
            "--max-rejected",
            type=int,
            default=None,
            metavar="N",
            help="stop the load once more than N rows are rejected: the wrong file (default: no limit)",
        )
        parser.add_argument(
            "--progress-interval",
            type=float,
            default=10.0,
            metavar="SECONDS",
            help="seconds between progress log lines when standard error is not a terminal (default 10)",
        )

    def handle(self, *args, **options) -> None:
        path = self.file_of(options)
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if options["sleep"] < 0:
            raise CommandError("--sleep must not be negative")
        if options["max_rejected"] is not None and options["max_rejected"] < 0:
            raise CommandError("--max-rejected must not be negative")
        with ExitStack() as stack:
            stop = stack.enter_context(stop_on_signals())
            source = _open(path, stack)
            errors_file = _open_errors_file(path=options["errors_file"], source=path, stack=stack)
            report = LoadReport(
                file=path,
                stream=self.stderr,
                errors_file=errors_file,
                dry_run=options["dry_run"],
                max_rejected=options["max_rejected"],
                column_of_field={field: column for column, field in self.columns.items()},
            )
            try:
                reading = csv_rows(
                    source.binary,
                    on_malformed=report.add_malformed,
                    should_stop=stop.requested,
                    columns=self.columns,
                    optional=self.optional,
                )
            except CsvSourceError as error:
                raise CommandError(str(error) if str(error).startswith(path) else f"{path}: {error}") from None
            except _READ_ERRORS as error:
                raise CommandError(f"{path}: unreadable: {error}") from None
            stack.callback(reading.detach)
            progress = Progress(source=source, interval=options["progress_interval"])
            stack.callback(progress.close)
            failure, added = None, {}
            try:
                report.start_errors_file(header=reading.header.names)
                self._load(rows=reading.rows, report=report, progress=progress, stop=stop, options=options)
                added = self.after_load(report)
            except _READ_ERRORS as error:
                failure = CommandError(f"{path}: unreadable after line {reading.line_num}: {error}")
            except DatabaseError as error:
                # Each batch is one transaction: the one in progress was rolled back.
                failure = CommandError(
                    f"database error after {plural(report.totals.rows_read, 'row')}, the batch in progress was not "
                    f"written: {error}; run the same command again once the database is back"
                )
            except TooManyRejected as error:
                kept = f"up to line {report.kept_through}" if report.kept_through else "none"
                new = plural(report.totals.inserted, f"new {self.record}")
                failure = CommandError(
                    f"{error}: stopped at line {reading.line_num}; kept the batches of the lines {kept} "
                    f"({new}), nothing of the batch that crossed the limit or after; is this the right file?"
                )
            except ErrorsFileError as error:
                failure = CommandError(f"{error}; stopped at line {reading.line_num}, the batches before were loaded")
            except KeyboardInterrupt:
                # A second Ctrl-C: the batch being written was rolled back with its transaction.
                failure = CommandError(
                    "interrupted twice: stopped at once, the batch in progress was not written",
                    returncode=EXIT_INTERRUPTED,
                )
            # Interrupted: some of the file was not read (a signal arriving after the last
            # line changes nothing).
            interrupted = failure is not None or (stop.requested() and not reading.lines.exhausted)
            self._finish(report=report, interrupted=interrupted, as_json=options["json"], added=added)
            if failure is not None:
                raise failure from None
        self._exit_status(report=report, stop=stop if interrupted else None)

    def _load(self, *, rows: Iterable[dict], report: LoadReport, progress: Progress, stop: SignalStop, options) -> None:
        # A load allocates a few short-lived objects per row, which sets off the cyclic
        # garbage collector often; frozen, the objects of start-up (Django, the app
        # registry) are not traversed each time (docs/performance.rst, "What the profiles show").
        gc.freeze()
        try:
            self._load_batches(rows, report=report, progress=progress, stop=stop, options=options)
        finally:
            gc.unfreeze()

    def _load_batches(self, rows, *, report: LoadReport, progress: Progress, stop: SignalStop, options) -> None:
        pause = Pause(seconds=options["sleep"], stop=stop)
        batches = self.load_batches(
            pause.between_batches(rows),
            batch_size=options["batch_size"],
            dry_run=options["dry_run"],
            # Check the next batch while writing one (docs/decisions/0005). Not when
            # throttled: the pauses of --sleep are taken as rows are read, between two writes.
            check_ahead=not pause.seconds,
            # With --max-rejected, a batch that would pass the limit is rolled back, not committed.
            keep=report.keep_batch if report.max_rejected is not None else None,
        )
        try:
            for result in batches:
                _forget_queries()
                report.add_batch(result)
                progress.update(report.totals)
                if stop.requested():
                    # The batch just written is committed; the rest of the file is left unread.
                    break
                pause.due = True
        except BatchRefused:
            raise TooManyRejected(report.max_rejected) from None

    def _finish(self, *, report: LoadReport, interrupted: bool, as_json: bool, added: dict) -> None:
        """The summary, after every rejected row is reported and the errors file closed."""
        try:
            report.close()
        except ErrorsFileError as error:
            self.stderr.write(f"{error}")
        if note := report.not_shown_note():
            self.stderr.write(note)
        summary: LoadSummary = report.summary(interrupted=interrupted)
        self.stdout.write(summary.as_text() + self.describe_after_load(added))
        if as_json:
            self.stdout.write(summary.as_json(**added))

    def _exit_status(self, *, report: LoadReport, stop: SignalStop | None) -> None:
        if stop is not None:
            raise CommandError(
                f"interrupted by {stop.signal} after {plural(report.totals.rows_read, 'row')}; "
                "run the same command again to load the rest (loaded rows are skipped as duplicates)",
                returncode=EXIT_INTERRUPTED,
            )
        if report.totals.rejected:
            raise CommandError(
                f"{plural(report.totals.rejected, 'row')} rejected (listed above"
                f"{', and in the errors file' if report.has_errors_file else ''}); the other rows were loaded",
                returncode=EXIT_ROWS_REJECTED,
            )


def _open(path: str, stack: ExitStack):
    try:
        source = open_source(path=path)
    except CsvSourceError as error:
        raise CommandError(str(error) if str(error).startswith(path) else f"{path}: {error}") from None
    stack.callback(source.close)
    return source


def _forget_queries() -> None:
    """
    Drop the queries DEBUG (the local settings) keeps in memory, with their SQL: up to the
    last 9,000, hundreds of MB over a load. Kept where a test captures them.
    """
    if not connection.force_debug_cursor:
        connection.queries_log.clear()


def _open_errors_file(*, path: str | None, source: str, stack: ExitStack):
    if path is None:
        return None
    if source != "-" and os.path.exists(path) and os.path.samefile(path, source):
        raise CommandError(f"the errors file {path} is the file being loaded: name another file")
    try:
        errors_file = open(path, "w", encoding="utf-8", errors=SURROGATE_ESCAPE, newline="")  # noqa: SIM115
    except OSError as error:
        raise CommandError(f"cannot write the errors file {path}: {error.strerror or error}") from None
    # The report closes it, and says so if that fails (a full disk); this is for a load that
    # stopped before the report was made.
    stack.callback(_close_quietly, errors_file)
    return errors_file


def _close_quietly(file) -> None:
    with contextlib.suppress(OSError):
        file.close()
