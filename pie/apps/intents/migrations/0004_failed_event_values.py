"""
A kept event holds what its receiver mapped it to as JSON (``values``) rather than an
intent's columns; LMS user ids are one column type everywhere (``core.lms.lms_user_id_field``).
"""

import django.core.validators
from django.db import migrations, models


def to_values(apps, schema_editor):
    FailedEvent = apps.get_model("intents", "FailedEvent")
    for failed in FailedEvent.objects.all():
        failed.values = {
            "program_uuid": str(failed.program_uuid),
            "reason": failed.reason,
            "certainty": failed.certainty,
            "effective_timestamp": failed.effective_timestamp.isoformat(),
        }
        failed.save(update_fields=["values"])


def to_columns(apps, schema_editor):
    FailedEvent = apps.get_model("intents", "FailedEvent")
    for failed in FailedEvent.objects.all():
        values = failed.values
        failed.program_uuid = values["program_uuid"]
        failed.reason = values["reason"]
        failed.certainty = values["certainty"]
        failed.effective_timestamp = values["effective_timestamp"]
        failed.save(update_fields=["program_uuid", "reason", "certainty", "effective_timestamp"])


LMS_USER_ID_VALIDATORS = [
    django.core.validators.MinValueValidator(1),
    django.core.validators.MaxValueValidator(2147483647),
]


class Migration(migrations.Migration):
    dependencies = [
        ("intents", "0003_retired_learner"),
    ]

    operations = [
        migrations.AddField(
            model_name="failedevent",
            name="values",
            field=models.JSONField(
                default=dict, help_text="What the event maps to, but its learner: field name -> value."
            ),
            preserve_default=False,
        ),
        migrations.RunPython(to_values, to_columns, elidable=True),
        migrations.RemoveField(model_name="failedevent", name="program_uuid"),
        migrations.RemoveField(model_name="failedevent", name="reason"),
        migrations.RemoveField(model_name="failedevent", name="certainty"),
        migrations.RemoveField(model_name="failedevent", name="effective_timestamp"),
        migrations.AlterField(
            model_name="failedevent",
            name="lms_user_id",
            field=models.PositiveIntegerField(
                db_index=True, help_text="The learner's user id in the LMS.", validators=LMS_USER_ID_VALIDATORS
            ),
        ),
        migrations.AlterField(
            model_name="programintent",
            name="lms_user_id",
            field=models.PositiveIntegerField(
                help_text="The learner's user id in the LMS.", validators=LMS_USER_ID_VALIDATORS
            ),
        ),
    ]
