"""An index for the program reads: one program's intents, by learner (the unique key leads with the learner)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intents", "0006_failed_event_kind"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="programintent",
            index=models.Index(fields=["program_uuid", "lms_user_id"], name="program_intent_by_program"),
        ),
    ]
