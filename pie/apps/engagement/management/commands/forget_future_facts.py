"""
Delete the course facts dated beyond the clock skew that PIE stored before it refused them,
a one-off clean-up of the upgrade (docs/engagement.rst, "Upgrading"). Prints each fact it
deletes, then how many; running it again deletes nothing more.

    python manage.py forget_future_facts [--dry-run]
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from pie.apps.engagement.future_facts import forget_future_facts
from pie.apps.intents.intake.report import plural


class Command(BaseCommand):
    help = "Delete the course facts dated beyond the clock skew (PIE_INTENT_MAX_CLOCK_SKEW_SECONDS), and list them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list the facts it would delete, delete nothing")

    def handle(self, *args, dry_run: bool, **options) -> None:
        try:
            facts = forget_future_facts(now=timezone.now(), dry_run=dry_run)
        except DatabaseError as error:
            raise CommandError(f"The database failed: {error}") from error
        for fact in facts:
            self.stdout.write(str(fact))
        counted = f"{plural(len(facts), 'course fact')} dated beyond the clock skew"
        self.stdout.write(
            f"Would delete {counted} (dry run: nothing was deleted)." if dry_run else f"Deleted {counted}."
        )
