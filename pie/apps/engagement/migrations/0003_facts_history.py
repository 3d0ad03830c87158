"""
ADR 26: the rules walk a learner's facts, and the intents' unique key records what was
recorded, so the per-rule state goes; two facts of one run, kind and time that disagree
are both kept (``active`` joins the key); each fact carries its course's key (filled here
from its run key), by which the learners of a changed program are found; a catalog copy's
programs wait in a queue to be re-evaluated; the key columns compare exactly (utf8mb4_bin
on MySQL/MariaDB).
"""

from django.db import migrations, models
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from opaque_keys.edx.locator import CourseLocator

import pie.apps.core.fields


def fill_course_keys(apps, schema_editor):
    """Each fact's course key, by the run-key rule of its time (catalog.run_keys): '' for a key that cannot count."""
    CourseFact = apps.get_model("engagement", "CourseFact")
    run_keys = CourseFact.objects.using(schema_editor.connection.alias).values_list("run_key", flat=True).distinct()
    for run_key in list(run_keys):
        try:
            key = CourseKey.from_string(run_key)
        except InvalidKeyError:
            continue
        if type(key) is CourseLocator:
            CourseFact.objects.using(schema_editor.connection.alias).filter(run_key=run_key).update(
                course_key=f"{key.org}+{key.course}"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("engagement", "0002_reason_choices"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProgramReevaluation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("program_uuid", models.UUIDField(unique=True)),
                ("queued_at", models.DateTimeField()),
                ("through_learner", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.DeleteModel(
            name="ProgramRuleState",
        ),
        migrations.RemoveConstraint(
            model_name="coursefact",
            name="engagement_fact_unique",
        ),
        migrations.AddField(
            model_name="coursefact",
            name="course_key",
            field=pie.apps.core.fields.ExactKeyField(default="", max_length=255),
            preserve_default=False,
        ),
        migrations.RunPython(fill_course_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="coursefact",
            name="run_key",
            field=pie.apps.core.fields.ExactKeyField(max_length=255),
        ),
        migrations.AddIndex(
            model_name="coursefact",
            index=models.Index(fields=["course_key", "lms_user_id"], name="engagement_fact_course"),
        ),
        migrations.AddConstraint(
            model_name="coursefact",
            constraint=models.UniqueConstraint(
                fields=("lms_user_id", "run_key", "kind", "time", "active"), name="engagement_fact_unique_state"
            ),
        ),
    ]
