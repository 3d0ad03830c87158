"""
Re-evaluate learners against the engagement rules (ADR 26), recording the completions not yet
recorded.

    python manage.py reevaluate_engagement            # the programs a catalog copy queued
    python manage.py reevaluate_engagement --all [--after LMS_USER_ID]

Without ``--all``: drains the queue of programs a catalog copy changed (a copy drains it
itself once it commits; this finishes one that stopped). With ``--all``: every learner with
facts, in LMS user id order, 1,000 at a time, each batch a transaction of its own; a line
after each batch names the last learner done, and ``--after`` that id resumes a run that
stopped. Run ``--all`` once after upgrading to ADR 26's rules. Both are idempotent.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from pie.apps.engagement import services


class Command(BaseCommand):
    help = (
        "Re-evaluate the learners of the queued programs, or (--all) every learner with facts, recording what is due."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", dest="every", action="store_true", help="every learner with facts (after an upgrade)"
        )
        parser.add_argument(
            "--after", type=int, default=0, metavar="LMS_USER_ID", help="with --all: resume after this learner"
        )

    def handle(self, *args, every: bool, after: int, **options) -> None:
        if after and not every:
            raise CommandError("--after resumes a run of --all: give both")
        try:
            if every:
                recorded = services.reevaluate_every_learner(
                    after=after, done=lambda learner: self.stdout.write(f"Evaluated the learners through {learner}")
                )
            else:
                recorded = services.drain_reevaluations()
        except DatabaseError as error:
            raise CommandError(f"The database failed: {error}; run the same command again (with --after)") from error
        self.stdout.write(f"Recorded {recorded} intent{'' if recorded == 1 else 's'}.")
