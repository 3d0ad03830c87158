"""
The event consumers' health: per event type the last event handled, and the failed events.

    python manage.py event_consumer_status [--json]
"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from pie.apps.bus.status import consumer_health


class Command(BaseCommand):
    help = "Show, per event type, the last event PIE's consumers handled, and how many failed events wait."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the status as one JSON object")

    def handle(self, *args, **options) -> None:
        try:
            health = consumer_health()
        except DatabaseError as error:
            raise CommandError(f"The database failed: {error}") from error
        event_types = [
            {
                "event_type": status.event_type,
                "last_handled_at": status.last_handled_at.isoformat(),
                "last_event_id": str(status.last_event_id),
                "last_event_time": status.last_event_time.isoformat(),
                "last_outcome": status.last_outcome,
                "handled": status.handled_count,
            }
            for status in health.event_types
        ]
        oldest = health.oldest_failed_event.isoformat() if health.oldest_failed_event else None
        if options["json"]:
            summary = {"event_types": event_types, "failed_events": health.failed_events, "oldest_failed_event": oldest}
            self.stdout.write(json.dumps(summary))
            return
        if not event_types:
            self.stdout.write("No event handled yet.")
        for status in event_types:
            self.stdout.write(
                f"{status['event_type']}: {status['handled']} handled; the last at {status['last_handled_at']} "
                f"(event {status['last_event_id']} of {status['last_event_time']}: {status['last_outcome']})"
            )
        since = f", the oldest kept at {oldest}" if oldest else ""
        self.stdout.write(f"Failed events waiting to be replayed: {health.failed_events}{since}")
