"""
Load program intents from a data-warehouse CSV report, through the service layer.

    python manage.py bulk_insert_intents intents.csv.gz --errors-file rejected.csv

An interface only: ``intake.loading`` is the load command (the file, the options, the
report), ``services.iter_record_intents`` checks, de-duplicates and writes the rows batch
by batch. docs/bulk_load.rst is the operator's guide.
"""

from django.core.management.base import CommandError, CommandParser

from pie.apps.intents import services
from pie.apps.intents.intake.loading import EXIT_INTERRUPTED, EXIT_ROWS_REJECTED, LoadCommand
from pie.apps.intents.intake.progress import Progress

__all__ = ["EXIT_INTERRUPTED", "EXIT_ROWS_REJECTED", "Command", "Progress"]


class Command(LoadCommand):
    help = (
        "Load program intents from a CSV report with the columns program_uuid, user_id, intent_reason, "
        "intent_certainty and effective_time. FILE may be '-' for standard input, or a .gz file."
    )
    default_batch_size = services.DEFAULT_BATCH_SIZE

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--csv_filepath", "--csv-filepath", dest="csv_filepath", help="the older spelling of FILE")

    def file_of(self, options: dict) -> str:
        file, csv_filepath = options["file"], options["csv_filepath"]
        if file and csv_filepath:
            raise CommandError("give the file once: either FILE or --csv_filepath")
        if not (file or csv_filepath):
            raise CommandError("give the CSV file to load (FILE, or '-' for standard input)")
        return file or csv_filepath

    def load_batches(self, rows, *, batch_size: int, dry_run: bool, check_ahead: bool, keep):
        return services.iter_record_intents(
            rows, batch_size=batch_size, dry_run=dry_run, check_ahead=check_ahead, keep=keep
        )
