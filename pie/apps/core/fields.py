"""
Model fields every app shares.

``ExactKeyField``: a key column (a course run's key, a course's key) compared as Python
compares strings, letter case included, on every backend. MySQL/MariaDB's default
utf8mb4 collation ignores case, so a run key in another letter case matched a catalog row
that Python's dicts then did not find; the column takes ``utf8mb4_bin`` there. SQLite
compares bytes already.
"""

from django.db import models

MYSQL_BINARY_COLLATION = "utf8mb4_bin"


class ExactKeyField(models.CharField):
    """A ``CharField`` compared exactly, letter case included (``utf8mb4_bin`` on MySQL/MariaDB)."""

    def db_parameters(self, connection):
        parameters = super().db_parameters(connection)
        if connection.vendor == "mysql":
            parameters["collation"] = MYSQL_BINARY_COLLATION
        return parameters
