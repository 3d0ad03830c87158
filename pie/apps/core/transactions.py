"""
Transactions that the database may refuse for their order: a deadlock's victim, a lock
wait that timed out (MySQL/MariaDB), a write lock not had in time (SQLite). Each door of
PIE that writes runs its transaction through ``serialised``, which tries it again a
bounded number of times (ADR 0017); then the error is raised, and the API answers it 503.
"""

import logging
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

log = logging.getLogger(__name__)

# How often a transaction is tried in all.
ATTEMPTS = 4
# MySQL/MariaDB's deadlock (ER_LOCK_DEADLOCK) and lock wait timeout (ER_LOCK_WAIT_TIMEOUT).
_MYSQL_ORDER_ERRORS = {1213, 1205}


def is_order_failure(error: OperationalError, *, vendor: str) -> bool:
    """Whether the database refused the transaction for its order with others, not for itself."""
    if vendor == "mysql":
        return bool(error.args) and error.args[0] in _MYSQL_ORDER_ERRORS
    return vendor == "sqlite" and "database is locked" in str(error)


def serialised[T](func: Callable[[], T], *, using: str = DEFAULT_DB_ALIAS, what: str) -> T:
    """
    ``func()`` in a transaction of its own, tried again when the database refused it for its
    order with a concurrent one (``ATTEMPTS`` tries in all). Inside a caller's transaction,
    which a deadlock ends whole, ``func`` runs once, in that transaction: the caller retries.
    """
    connection = connections[using]
    if connection.in_atomic_block:
        with transaction.atomic(using=using):
            return func()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic(using=using):
                return func()
        except OperationalError as error:
            if attempt == ATTEMPTS or not is_order_failure(error, vendor=connection.vendor):
                raise
            log.warning("%s: the database refused the transaction (%s); try %d of %d", what, error, attempt, ATTEMPTS)
    raise AssertionError("unreachable")
