"""PIE's MySQL/MariaDB backend (pie.db.mysql): Django's, reading DATETIME values in C."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from pie.apps.intents import services
from pie.apps.intents.models import ProgramIntent

pytestmark = pytest.mark.mysql


def test_datetime_texts_are_read_as_mysqlclient_reads_them():
    from MySQLdb.times import DateTime_or_None

    from pie.db.mysql.base import parse_datetime

    for text in ("2022-07-01 00:00:00", "2022-07-01 12:30:05.123456", "2022-07-01 12:30:05.5", "2022-07-01"):
        assert parse_datetime(text) == DateTime_or_None(text)
    assert parse_datetime("0000-00-00 00:00:00") is None


@pytest.mark.django_db
def test_the_connection_reads_datetimes_with_the_c_parser():
    from MySQLdb.constants import FIELD_TYPE

    from pie.db.mysql.base import parse_datetime

    connection.ensure_connection()
    assert connection.vendor == "mysql"
    assert connection.connection.converter[FIELD_TYPE.DATETIME] is parse_datetime
    when = datetime(2022, 7, 1, 12, 30, 5, 123456, tzinfo=UTC)
    intent, _ = services.record_intent(
        lms_user_id=7,
        program_uuid="6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e",
        reason="BUNDLE_PURCHASE",
        certainty="MAYBE",
        effective_timestamp=when,
    )
    assert ProgramIntent.objects.get(pk=intent.pk).effective_timestamp == when
