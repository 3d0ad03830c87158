"""
Backfill enrollments from a warehouse CSV report, then evaluate the learners it touched.

    python manage.py bulk_insert_enrollments FILE [--as-of TIME] [--errors-file rejected.csv]

With the options of ``bulk_insert_intents`` (``--dry-run``, ``--json``, ``--batch-size``,
``--sleep``, ``--max-rejected``, ``--progress-interval``). Columns ``user_id``,
``course_id`` (a run key), ``mode``, ``is_active``, ``created``, and optionally
``modified``. A row's state holds as of its ``modified``, else as of ``--as-of`` (when the
export was taken), which an inactive row without ``modified`` needs; an active row is also
active from its ``created``. ``-`` reads standard input; ``*.gz`` (or gzip on standard
input) is inflated. A rejected row is reported with its line number and the others load;
loading the file again keeps nothing twice and records nothing. docs/engagement.rst has the rules.
"""

from datetime import datetime

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from pie.apps.engagement.backfill import ENROLLMENT_COLUMNS, ENROLLMENT_OPTIONAL, NOT_A_TIMESTAMP, enrollment_facts
from pie.apps.engagement.management.backfill_command import BackfillCommand
from pie.apps.engagement.validation import IN_THE_FUTURE, latest_fact_time
from pie.apps.intents.validation import parse_timestamp


class Command(BackfillCommand):
    help = "Backfill enrollments (user_id, course_id, mode, is_active, created[, modified]) as course facts."
    columns = ENROLLMENT_COLUMNS
    optional = ENROLLMENT_OPTIONAL

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--as-of",
            metavar="TIME",
            help="when the export was taken: the time of the state of a row without modified "
            "(an inactive row without modified is rejected without it)",
        )

    def handle(self, *args, as_of: str | None = None, **options) -> None:
        self.as_of = None if as_of is None else _export_time(as_of)
        super().handle(*args, **options)

    def facts_of(self, row) -> tuple:
        return enrollment_facts(row, as_of=self.as_of, latest=self.latest)


def _export_time(text: str) -> datetime:
    """``--as-of``: a timestamp of the files' forms, not beyond the clock skew."""
    try:
        as_of = parse_timestamp(text)
    except ValueError:
        raise CommandError(f"--as-of {text!r}: {NOT_A_TIMESTAMP}") from None
    if as_of > latest_fact_time(now=timezone.now()):
        raise CommandError(f"--as-of {text!r}: {IN_THE_FUTURE}")
    return as_of
