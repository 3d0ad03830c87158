"""
The consumer processes PIE runs, one a line: the ``manage.py`` command and arguments of each,
as the apps declared them to the bus (``bus.registry``). ``make consume-events`` starts one
process per line; a deployment can read it to know what to run.

    python manage.py list_event_consumers [--topics]
"""

from django.core.management.base import BaseCommand, CommandParser

from pie.apps.bus import registry


class Command(BaseCommand):
    help = "List the event consumer commands PIE runs, one per topic (manage.py arguments, one line each)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--topics", action="store_true", help="follow each command with its topic, after a tab")

    def handle(self, *args, topics: bool, **options) -> None:
        for consumer in registry.consumers():
            line = " ".join(consumer.command)
            self.stdout.write(f"{line}\t{consumer.topic}" if topics else line)
