"""``core.sql``: a column among thousands of integers in a statement of one text; the insert that ignores conflicts."""

import pytest
from django.db import connection
from django.db.backends.mysql.base import DatabaseWrapper as MySQLDatabaseWrapper
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper
from django.utils import timezone

from pie.apps.core.models import RetiredLearner
from pie.apps.core.sql import in_integers, insert_ignoring, insert_ignoring_into

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


@pytest.mark.parametrize(
    ("wrapper", "head"),
    [
        (SQLiteDatabaseWrapper, 'INSERT OR IGNORE INTO "intents_retiredlearner" ("lms_user_id_hash") VALUES '),
        (MySQLDatabaseWrapper, "INSERT IGNORE INTO `intents_retiredlearner` (`lms_user_id_hash`) VALUES "),
    ],
)
def test_the_insert_ignoring_head_of_each_backend(wrapper, head):
    # The SQL bulk_create(ignore_conflicts=True) sends; no connection is opened to make it.
    db = wrapper({"NAME": ":memory:", "OPTIONS": {}}, "probe")
    assert insert_ignoring_into(db, RetiredLearner, ["lms_user_id_hash"]) == head


@pytest.mark.django_db
def test_insert_ignoring_skips_the_rows_a_unique_constraint_refuses_and_counts_the_new(django_assert_num_queries):
    RetiredLearner.objects.create(lms_user_id_hash=7)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [(7, now), (8, now), (9, now), (8, now)]
    with django_assert_num_queries(1):
        inserted = insert_ignoring(connection, RetiredLearner, ("lms_user_id_hash", "retired"), rows)
    assert inserted == 2
    assert sorted(RetiredLearner.objects.values_list("lms_user_id_hash", flat=True)) == [7, 8, 9]
