"""
Write again the events kept in the failed-event store (intents, course facts), then forget them.

    python manage.py replay_failed_events

Idempotent: what is already recorded is not recorded again, and its event is forgotten. An
event not due yet (a fact dated a little ahead) waits for a later run: run it on a schedule.
Exits with status 1 while some events still fail (each is logged with its id and error, and
stays to be replayed), once every other event was tried.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from pie.apps.bus.recording import replay_failed_events


class Command(BaseCommand):
    help = (
        "Write again the failed events kept by the event consumers (intents, course facts), and forget those written."
    )

    def handle(self, *args, **options) -> None:
        try:
            result = replay_failed_events()
        except DatabaseError as error:
            raise CommandError(f"The database failed: {error}") from error
        self.stdout.write(
            f"Replayed failed events: {result.recorded} recorded, {result.already_recorded} already recorded, "
            f"{result.still_failing} still failing, {result.not_due} not due yet, "
            f"{result.retired} forgotten (retired learners)"
        )
        if result.still_failing:
            raise CommandError(f"{result.still_failing} failed events still fail: see the log; they stay to replay.")
