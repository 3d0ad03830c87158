"""The README's bulk example: the CSV shipped in docs/examples loads whole, its rows as written."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from pie.apps.intents.models import ProgramIntent

EXAMPLE = Path(__file__).resolve().parents[4] / "docs" / "examples" / "intents.csv"


@pytest.mark.django_db
def test_the_example_csv_loads_every_row(tmp_path):
    errors = tmp_path / "rejected.csv"
    call_command("bulk_insert_intents", str(EXAMPLE), "--errors-file", str(errors), stdout=StringIO())
    rows = set(ProgramIntent.objects.values_list("lms_user_id", "reason", "certainty"))
    assert rows == {
        (7, "BUNDLE_PURCHASE", "CERTAIN_YES"),
        (8, "BUNDLE_PURCHASE", "MAYBE"),
        (7, "EARNED_PROGRAM_CERT", "CERTAIN_YES"),
    }
