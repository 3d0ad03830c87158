"""``core.sql.in_integers``: a column among thousands of integers, in a statement of one text."""

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper

from pie.apps.core.models import RetiredLearner
from pie.apps.core.sql import in_integers

COLUMN = RetiredLearner._meta.get_field("lms_user_id_hash").column


@pytest.mark.django_db
def test_selects_the_listed_rows_among_more_values_than_any_parameter_limit():
    RetiredLearner.objects.bulk_create(RetiredLearner(lms_user_id_hash=n) for n in (3, 2**62, 40_001))
    table, column = connection.ops.quote_name(RetiredLearner._meta.db_table), connection.ops.quote_name(COLUMN)
    where, params = in_integers(connection, column, [*range(40_000), 2**62])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {where}", params)
        assert sorted(value for (value,) in cursor.fetchall()) == [3, 2**62]


def test_on_sqlite_every_list_gives_the_same_statement_text():
    # sqlite3 caches prepared statements by their text: one text, one cached statement.
    sqlite = SQLiteDatabaseWrapper({"NAME": ":memory:"}, "sqlite-probe")
    texts = {in_integers(sqlite, '"x"', values)[0] for values in ([1], range(10_000), [5, 2**62])}
    assert len(texts) == 1


@pytest.mark.parametrize("value", ["1) OR (1=1", 1.5, None])
def test_a_value_that_is_not_an_int_is_refused(value):
    with pytest.raises((ValueError, TypeError)):
        in_integers(connection, '"x"', [1, value])
