"""The failed-event store and the handling status are the bus's now (bus 0001): the tables stay, only the models' home moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("intents", "0007_program_index"),
        ("bus", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="EventHandlingStatus"),
                migrations.DeleteModel(name="FailedEvent"),
            ],
            database_operations=[],
        ),
    ]
