"""
Backfill enrollments from a warehouse CSV report, then evaluate the learners it touched.

    python manage.py bulk_insert_enrollments FILE [--errors-file rejected.csv]

With the options of ``bulk_insert_intents`` (``--dry-run``, ``--json``, ``--batch-size``,
``--sleep``, ``--max-rejected``, ``--progress-interval``). Columns ``user_id``,
``course_id`` (a run key), ``mode``, ``is_active``, ``created``, and optionally
``modified``. ``-`` reads standard input; ``*.gz`` (or gzip on standard input) is
inflated. A rejected row is reported with its line number and the others load; loading
the file again keeps nothing twice and records nothing. docs/engagement.rst has the rules.
"""

from django.utils import timezone

from pie.apps.engagement.backfill import ENROLLMENT_COLUMNS, ENROLLMENT_OPTIONAL, enrollment_fact
from pie.apps.engagement.management.backfill_command import BackfillCommand


class Command(BackfillCommand):
    help = "Backfill enrollments (user_id, course_id, mode, is_active, created[, modified]) as course facts."
    columns = ENROLLMENT_COLUMNS
    optional = ENROLLMENT_OPTIONAL

    def handle(self, *args, **options) -> None:
        self.loaded_at = timezone.now()
        super().handle(*args, **options)

    def fact_of(self, row):
        return enrollment_fact(row, loaded_at=self.loaded_at)
