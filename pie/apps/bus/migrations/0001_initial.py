"""
The failed-event store and the consumers' handling status move from the intents app to the
bus (ADR 25): the tables (intents_failedevent, intents_eventhandlingstatus) and their rows
stay as they are; only the models' home moves (intents 0008 drops them from its state).
"""

import django.core.validators
from django.db import migrations, models

import pie.apps.bus.registry


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("intents", "0007_program_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="EventHandlingStatus",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("event_type", models.CharField(help_text="The event's type.", max_length=255, unique=True)),
                        ("last_event_id", models.UUIDField(help_text="The last event handled.")),
                        ("last_event_time", models.DateTimeField(help_text="Its own time.")),
                        (
                            "last_outcome",
                            models.CharField(
                                choices=[
                                    ("RECORDED", "Recorded what it maps to"),
                                    ("DUPLICATE", "What it maps to was already recorded"),
                                    ("SKIPPED", "Refused (its values break a rule): logged and skipped"),
                                    ("IGNORED", "Maps to nothing by decision (a revoked certificate)"),
                                    ("KEPT", "Kept in the failed-event store, to be replayed"),
                                    ("FAILED", "Could be neither recorded nor kept: only the log holds it"),
                                ],
                                help_text="What became of it.",
                                max_length=16,
                            ),
                        ),
                        ("last_handled_at", models.DateTimeField(help_text="When PIE finished handling it.")),
                        (
                            "handled_count",
                            models.PositiveBigIntegerField(default=0, help_text="Events of this type handled."),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "event handling statuses",
                        "db_table": "intents_eventhandlingstatus",
                    },
                ),
                migrations.CreateModel(
                    name="FailedEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("event_type", models.CharField(help_text="The event's type.", max_length=255)),
                        (
                            "event_id",
                            models.UUIDField(help_text="The event's id: an event is kept once.", unique=True),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=pie.apps.bus.registry.kind_choices,
                                help_text="What the event writes: a kind an app declared to the bus (registry).",
                                max_length=16,
                            ),
                        ),
                        ("event_time", models.DateTimeField(help_text="The event's own time.")),
                        (
                            "lms_user_id",
                            models.PositiveIntegerField(
                                db_index=True,
                                help_text="The learner's user id in the LMS.",
                                validators=[
                                    django.core.validators.MinValueValidator(1),
                                    django.core.validators.MaxValueValidator(2147483647),
                                ],
                            ),
                        ),
                        (
                            "values",
                            models.JSONField(help_text="What the event maps to, but its learner: field name -> value."),
                        ),
                        ("attempts", models.PositiveIntegerField(help_text="Writes tried before the event was kept.")),
                        ("error", models.TextField(help_text="The last write's error.")),
                        ("created", models.DateTimeField(auto_now_add=True, help_text="When the event was kept.")),
                    ],
                    options={
                        "db_table": "intents_failedevent",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
