"""
What the two backfill commands share: the intake's load command (``intents.intake.loading``:
the file, its options, the report of rejected rows, the summary and the exit statuses)
over ``backfill.iter_backfill``, then the evaluation of the learners the file touched.
"""

from django.utils import timezone

from pie.apps.engagement.backfill import BATCH_SIZE, evaluate_backfilled, iter_backfill
from pie.apps.engagement.validation import latest_fact_time
from pie.apps.intents.intake.loading import LoadCommand
from pie.apps.intents.intake.report import LoadReport, plural


class BackfillCommand(LoadCommand):
    """
    A backfill of course facts from a CSV file (``columns``; ``facts_of`` makes a row's facts,
    none later than ``latest``, the load's clock and its skew).
    """

    record = "course fact"
    default_batch_size = BATCH_SIZE

    def facts_of(self, row) -> tuple:
        raise NotImplementedError

    def handle(self, *args, **options) -> None:
        self._touched: set[int] = set()
        self.latest = latest_fact_time(now=timezone.now())
        super().handle(*args, **options)

    def load_batches(self, rows, *, batch_size: int, dry_run: bool, check_ahead: bool, keep):
        return iter_backfill(
            rows, facts_of=self.facts_of, touched=self._touched, batch_size=batch_size, dry_run=dry_run, keep=keep
        )

    def after_load(self, report: LoadReport) -> dict:
        """The learners of the facts kept are evaluated (a dry run evaluates nobody)."""
        if report.dry_run:
            return {}
        return {"learners": len(self._touched), "intents": evaluate_backfilled(self._touched)}

    def describe_after_load(self, added: dict) -> str:
        if not added:
            return ""
        return f" Evaluated {plural(added['learners'], 'learner')}, recorded {plural(added['intents'], 'intent')}."
