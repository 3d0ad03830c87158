"""
The SQL of a batch load, one writer class per backend.

A writer inserts checked, de-duplicated rows with the backend's "ignore conflicts" insert
(the SQL that ``bulk_create(ignore_conflicts=True)`` emits), whose row count tells how
many were new, and reads which rows of a batch the table already holds. ``batches`` is
its only caller: a writer's rows are made by its ``row`` from ``IntentKey``s that
``validation`` checked, in the worker thread that checks a batch.

``batch_writer`` chooses the writer of a connection's backend: ``sqlite.SQLiteBatchWriter``
or ``mysql.MySQLBatchWriter``, both made on ``base.BatchWriter``.
"""

from django.db import NotSupportedError

from pie.apps.intents.writing.base import BatchWriter
from pie.apps.intents.writing.mysql import MySQLBatchWriter
from pie.apps.intents.writing.sqlite import SQLiteBatchWriter

WRITERS = {writer.vendor: writer for writer in (SQLiteBatchWriter, MySQLBatchWriter)}


def batch_writer(db) -> BatchWriter:
    """The batch writer of ``db``'s backend; ``NotSupportedError`` for a backend PIE does not run on."""
    try:
        return WRITERS[db.vendor](db)
    except KeyError:
        raise NotSupportedError(f"PIE's batch load runs on SQLite and MySQL/MariaDB, not {db.vendor}") from None
