"""The batch writer of SQLite."""

import re
from datetime import datetime

from pie.apps.core.sql import insert_ignoring_into
from pie.apps.intents.constants import IntentKey
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.writing.base import INSERT_FIELDS, BatchWriter

# A timestamp's text as SQLite stores it: Django's, with decimals only when not all zero.
_SQLITE_DATETIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?")


class SQLiteBatchWriter(BatchWriter):
    """
    SQLite: ``INSERT OR IGNORE`` through ``executemany``, the key's values as parameters.
    SQLite looks a key up before writing. The batch's one ``recorded_at`` is written in the
    statement, as a text of the allowed form (``_SQLITE_DATETIME_TEXT``), so that no row
    is copied to add it.
    """

    vendor = "sqlite"

    def __init__(self, db):
        super().__init__(db)
        placeholders = ", ".join(["%s"] * len(IntentKey._fields))
        self._sql = insert_ignoring_into(db, ProgramIntent, INSERT_FIELDS) + f"({placeholders}, '{{created}}')"

    def row(self, key: IntentKey) -> tuple:
        """The key's values as parameters, in ``IntentKey``'s order."""
        program = self._programs.get(key.program_uuid) or self._program_text(key.program_uuid)
        return (key.lms_user_id, program, self._adapt_timestamp(key.effective_timestamp), key.reason, key.certainty)

    def insert(self, rows: list[tuple], *, recorded_at: datetime) -> int:
        created_text = self._timestamp_text(recorded_at)
        if not _SQLITE_DATETIME_TEXT.fullmatch(created_text):
            raise ValueError(f"not a checked value: {created_text!r}")
        with self.db.cursor() as cursor:
            cursor.executemany(self._sql.format(created=created_text), rows)
            return cursor.rowcount

    def _probe(self, row: tuple) -> str:
        return "|".join(map(str, row))

    def _recorded_text_sql(self) -> str:
        # SQLite gives each value back as it was sent; no value can hold a "|".
        return " || '|' || ".join(self._columns[name] for name in IntentKey._fields)
