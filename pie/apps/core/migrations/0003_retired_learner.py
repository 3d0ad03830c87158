"""
The retired-learner registry moves from the intents app to core, which asks it before
storing a local user: the table (intents_retiredlearner) and its rows stay as they are.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_lms_user_id_column"),
        ("intents", "0004_failed_event_values"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RetiredLearner",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "lms_user_id_hash",
                            models.BigIntegerField(
                                help_text="A keyed BLAKE2b of the LMS user id under a retirement salt, 63 bits.",
                                unique=True,
                            ),
                        ),
                        ("retired", models.DateTimeField(auto_now_add=True, help_text="When the learner was retired.")),
                    ],
                    options={"db_table": "intents_retiredlearner"},
                ),
            ],
            database_operations=[],
        ),
    ]
