"""The retired-learner registry is core's now (core 0003): the table stays, only the model's home moves."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("intents", "0004_failed_event_values"),
        ("core", "0003_retired_learner"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="RetiredLearner")],
            database_operations=[],
        ),
    ]
