"""
Backfill course passes from a warehouse CSV report, then evaluate the learners it touched.

    python manage.py bulk_insert_course_passes FILE [--errors-file rejected.csv]

Columns ``user_id``, ``course_id`` (a run key), ``passed_at``; otherwise as
``bulk_insert_enrollments``.
"""

from pie.apps.engagement.backfill import PASS_COLUMNS, pass_fact
from pie.apps.engagement.management.backfill_command import BackfillCommand


class Command(BackfillCommand):
    help = "Backfill course passes (user_id, course_id, passed_at) as course facts."
    columns = PASS_COLUMNS

    def facts_of(self, row) -> tuple:
        return (pass_fact(row, latest=self.latest),)
