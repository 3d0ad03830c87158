"""
How an event waits for the database before its receiver returns.

The consumer acknowledges a message as soon as the receivers return, so a receiver must not
return before its event is stored or kept. Two kinds of failure are told apart by asking the
database itself, on a new connection, whether it answers:

* it does not (connection refused, lost or timed out): PIE waits, with capped back-off,
  without limit. The consumer pauses, and acknowledges nothing it has not stored;
* it does, so the failure belongs to this event's values: the write is tried a bounded
  number of times (``PIE_EVENT_WRITE_ATTEMPTS``), then the caller keeps the event.

Between tries Django's connection is closed, so that the next try opens a new one.
"""

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_never, wait_exponential

from pie.apps.core.exceptions import InvalidValuesError, NotDueYetError

log = logging.getLogger(__name__)


@dataclass
class Tries:
    """How often one event's writes failed: while the database answered, and waiting for it."""

    failed_writes: int = 0
    database_waits: int = 0


def close_database_connection() -> None:
    """
    Close Django's connection, so that the next query opens a new one.

    Also after each event: the consumer checks a connection that is still open before it
    hands over the next message, and that check, if the database is down, fails outside any
    receiver, and the message is acknowledged unstored. A connection inside a transaction
    (a caller's, or a test's) is left alone.
    """
    if connection.in_atomic_block:
        return
    # A broken connection may fail to close; Django drops it all the same.
    with suppress(DatabaseError):
        connection.close()


def database_answers() -> bool:
    """Whether the database answers a query on a new connection."""
    close_database_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        close_database_connection()
        return False
    return True


def _backoff() -> wait_exponential:
    return wait_exponential(
        multiplier=settings.PIE_EVENT_RETRY_INITIAL_DELAY_SECONDS, max=settings.PIE_EVENT_RETRY_MAX_DELAY_SECONDS
    )


def _is_outage(error: BaseException) -> bool:
    return isinstance(error, DatabaseError) and not database_answers()


def _may_succeed_later(error: BaseException) -> bool:
    # A value that breaks a rule breaks it on every try; one not due yet is not due a few
    # seconds later either (its event is kept at once, to replay).
    return not isinstance(error, InvalidValuesError | NotDueYetError)


def call_waiting_for_database[T](func: Callable[[], T], *, tries: Tries, what: str) -> T:
    """
    Call ``func`` until it returns or fails while the database answers (that error is raised).

    While the database is unreachable, waits with capped back-off, without limit, logging
    each wait and counting it in ``tries``.
    """

    def log_wait(state: RetryCallState) -> None:
        tries.database_waits += 1
        log.warning(
            "The database is unreachable while %s (%r): waiting %.2f s before trying again (wait %d)",
            what,
            state.outcome.exception(),
            state.upcoming_sleep,
            tries.database_waits,
        )

    retrying = Retrying(
        retry=retry_if_exception(_is_outage), wait=_backoff(), stop=stop_never, before_sleep=log_wait, reraise=True
    )
    return retrying(func)


def call_with_retries[T](func: Callable[[], T], *, tries: Tries, what: str) -> T:
    """
    Call ``func`` until it returns, waiting out database outages (``call_waiting_for_database``).

    A failure while the database answers is tried again, with back-off, up to
    ``PIE_EVENT_WRITE_ATTEMPTS`` tries in all; then its error is raised. An
    ``InvalidValuesError`` or a ``NotDueYetError`` is raised at once.
    """

    def log_retry(state: RetryCallState) -> None:
        log.warning(
            "Failed while %s (try %d of %d): %r; trying again in %.2f s",
            what,
            state.attempt_number,
            settings.PIE_EVENT_WRITE_ATTEMPTS,
            state.outcome.exception(),
            state.upcoming_sleep,
        )

    def attempt() -> T:
        try:
            return call_waiting_for_database(func, tries=tries, what=what)
        except Exception as error:
            if _may_succeed_later(error):
                tries.failed_writes += 1
                close_database_connection()
            raise

    retrying = Retrying(
        retry=retry_if_exception(_may_succeed_later),
        wait=_backoff(),
        stop=stop_after_attempt(settings.PIE_EVENT_WRITE_ATTEMPTS),
        before_sleep=log_retry,
        reraise=True,
    )
    return retrying(attempt)


@contextmanager
def interrupts_end_the_process() -> Iterator[None]:
    """
    While an event is held, let SIGINT end the process at once, as SIGTERM does.

    Ctrl-C would otherwise raise KeyboardInterrupt in the receiver, and the Redis consumer
    acknowledges the message in a ``finally`` on its way out: an event waiting for the
    database would be lost. Ended at once, the process leaves the message pending, and the
    consumer reads it again when it starts under the same name. Only the main thread can
    set signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
