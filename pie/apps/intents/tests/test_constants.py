"""The vocabulary's promise: a new reason is one line in ``IntentReason`` and needs no migration."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

NEW_REASON = "ADDED_AT_TEST_TIME"

# Runs in a fresh interpreter, because a column's choices are read when its model is
# imported: the new reason must be in IntentReason before Django loads any model, as it is
# after a developer adds the line.
CHECK_WITH_A_NEW_REASON = textwrap.dedent(
    f"""
    import django
    from django.db import models

    from pie.apps.intents import constants

    constants.IntentReason = models.TextChoices(
        "IntentReason",
        [(reason.name, (reason.value, reason.label)) for reason in constants.IntentReason]
        + [("{NEW_REASON}", ("{NEW_REASON}", "A reason added by a test"))],
    )
    django.setup()

    from django.apps import apps
    from django.core.management import call_command

    reason_columns = [
        f"{{model._meta.label}}.{{field.name}}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.concrete and "{NEW_REASON}" in dict(field.choices or ())
    ]
    print("columns with the new reason:", ", ".join(sorted(reason_columns)), flush=True)
    call_command("makemigrations", "--check", "--dry-run", verbosity=1)
    """
)


def test_a_new_reason_is_accepted_by_every_reason_column_and_needs_no_migration():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "pie.settings.test"}
    result = subprocess.run(
        [sys.executable, "-c", CHECK_WITH_A_NEW_REASON],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "columns with the new reason: intents.ProgramIntent.reason" in result.stdout
    assert "No changes detected" in result.stdout
