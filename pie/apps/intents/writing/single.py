"""The one insert of a single intent (``services.record_intent``)."""

from datetime import datetime

from django.db import connections

from pie.apps.intents.constants import IntentKey
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.writing.base import INSERT_FIELDS


def insert_intent(key: IntentKey, *, recorded_at: datetime, using: str) -> int:
    """
    Insert one intent, recorded at ``recorded_at``; return its id. A duplicate raises
    ``IntegrityError``, as an ORM insert does. SQL written here rather than by the ORM, so
    that a request's one insert compiles nothing.
    """
    connection = connections[using]
    sql, fields = _insert_sql(connection)
    values = (*key, recorded_at)
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.lastrowid


def _insert_sql(connection) -> tuple[str, list]:
    ops = connection.ops
    meta = ProgramIntent._meta
    fields = [meta.get_field(name) for name in INSERT_FIELDS]
    sql = "INSERT INTO {table} ({columns}) VALUES ({values})".format(
        table=ops.quote_name(meta.db_table),
        columns=", ".join(ops.quote_name(field.column) for field in fields),
        values=", ".join(["%s"] * len(fields)),
    )
    return sql, fields
