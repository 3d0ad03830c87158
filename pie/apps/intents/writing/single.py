"""The one insert of a single intent (``services.record_intent``), refusing a retired learner in the same statement."""

from datetime import datetime

from django.db import connections

from pie.apps.intents.constants import IntentKey
from pie.apps.intents.models import ProgramIntent, RetiredLearner
from pie.apps.intents.retirement import HASH_COLUMN, learner_hashes
from pie.apps.intents.writing.writers import INSERT_FIELDS


def insert_intent(key: IntentKey, *, recorded_at: datetime, using: str) -> int | None:
    """
    Insert one intent unless its learner is retired, in one statement; return its id, or
    None for a retired learner. A duplicate raises ``IntegrityError``, as an ORM insert does.

    The check is in the insert itself (``INSERT ... SELECT ... WHERE NOT EXISTS``), so a
    request costs no extra query.
    """
    connection = connections[using]
    ops = connection.ops
    meta = ProgramIntent._meta
    fields = [meta.get_field(name) for name in INSERT_FIELDS]
    hashes = learner_hashes(key.lms_user_id)
    sql = (
        "INSERT INTO {table} ({columns}) SELECT {values}{dual}"
        " WHERE NOT EXISTS (SELECT 1 FROM {retired} WHERE {hash} IN ({hashes}))"
    ).format(
        table=ops.quote_name(meta.db_table),
        columns=", ".join(ops.quote_name(field.column) for field in fields),
        values=", ".join(["%s"] * len(fields)),
        dual=" FROM DUAL" if connection.vendor == "mysql" else "",
        retired=ops.quote_name(RetiredLearner._meta.db_table),
        hash=ops.quote_name(HASH_COLUMN),
        hashes=", ".join(["%s"] * len(hashes)),
    )
    values = (*key, recorded_at)
    params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *hashes])
        return cursor.lastrowid if cursor.rowcount else None
