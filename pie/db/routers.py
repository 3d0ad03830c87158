"""
PIE's database router: the ORM reads and writes the writer (``default``), always.

Reads go to the ``read_replica`` alias only where a view names it (``pie.apps.core.replica``,
ADR 0030), never by routing: so writes, locking reads, authentication and every command
stay on the writer. Migrations never run on the replica (it replicates the writer's schema).
"""

from django.db import DEFAULT_DB_ALIAS


class WriterOnlyRouter:
    """Every ORM read and write on the writer; migrations only there."""

    def db_for_read(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
