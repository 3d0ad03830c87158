"""What the two backfill commands share: reading the file, reporting its rejected rows, the summary."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from pie.apps.engagement.backfill import BackfillResult, backfill
from pie.apps.intents.intake.source import SURROGATE_ESCAPE, CsvSourceError, MalformedRow, csv_rows, open_source


class BackfillCommand(BaseCommand):
    """A backfill of course facts from a CSV file (``columns``; ``fact_of`` makes each row's fact)."""

    columns: dict[str, str]
    optional: frozenset[str] = frozenset()

    def fact_of(self, row):
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file (.gz for gzip), or - for standard input")
        parser.add_argument(
            "--errors-file", type=Path, help="write each rejected row there: line_number, rejection_reason, its fields"
        )

    def handle(self, *args, file: str, errors_file: Path | None, **options) -> None:
        try:
            source = open_source(path=file)
        except CsvSourceError as error:
            raise CommandError(str(error)) from error
        malformed: list[MalformedRow] = []
        try:
            reading = csv_rows(
                source.binary, on_malformed=malformed.append, columns=self.columns, optional=self.optional
            )
            result = backfill(reading.rows, fact_of=self.fact_of)
        except CsvSourceError as error:
            raise CommandError(f"{file}: {error}") from error
        except DatabaseError as error:
            raise CommandError(f"The database failed: {error}; the batches written before it are kept.") from error
        finally:
            source.close()
        rejections = sorted(
            [(row["line"], self._reason(errors, row), row["fields"]) for row, errors in result.rejected]
            + [(bad.line, bad.message, bad.fields) for bad in malformed]
        )
        for line, reason, _ in rejections:
            self.stderr.write(f"line {line}: {reason}")
        if errors_file is not None:
            self._write_errors(errors_file, rejections, reading.header.names)
        self.stdout.write(self._summary(file, result, len(rejections)))
        if rejections:
            raise CommandError(
                f"{len(rejections)} rows rejected (listed above); the other rows were loaded", returncode=2
            )

    def _reason(self, errors: dict[str, str], row) -> str:
        column_of = {field: column for column, field in self.columns.items()}
        return "; ".join(
            f"{column_of.get(name, name)} {row.get(name, '')!r}: {message}" for name, message in errors.items()
        )

    @staticmethod
    def _summary(file: str, result: BackfillResult, rejected: int) -> str:
        return (
            f"{file}: read {result.rows + rejected - len(result.rejected)} rows: {result.new_facts} new course facts, "
            f"{rejected} rejected; evaluated {result.learners} learners, recorded {result.intents} intents."
        )

    @staticmethod
    def _write_errors(path: Path, rejections: list, header: list[str]) -> None:
        with path.open("w", newline="", encoding="utf-8", errors=SURROGATE_ESCAPE) as out:
            writer = csv.writer(out)
            writer.writerow(["line_number", "rejection_reason", *header])
            for line, reason, fields in rejections:
                writer.writerow([line, reason, *fields])
