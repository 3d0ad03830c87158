"""
What reads where when a read replica is configured (ADR 30): the one place that decides.

Without a ``read_replica`` alias in ``DATABASES`` every function here answers the writer
(``default``) and runs nothing, so PIE behaves as it does without a replica.

- ``learner_read``: the learner's ``most_recent_and_certain`` and history. The replica,
  unless the learner wrote recently (a marker in the cache, ``remember_write``): then the
  replica only once it has applied that write (MariaDB's ``MASTER_GTID_WAIT`` with a
  bounded wait), else the writer. A marker without a GTID (MySQL, or no binary log) sends
  the learner to the writer for ``READ_REPLICA_WRITE_WINDOW_SECONDS``.
- ``staff_read``: the program reads. The replica, with how many transactions it is behind
  the writer (the GTID gap), or the writer when the gap is past ``READ_REPLICA_MAX_LAG``.
- A replica that fails (refuses, times out, errs) is skipped for
  ``READ_REPLICA_RETRY_SECONDS`` by every worker sharing the cache, and by this process
  even without a cache: the circuit breaker. The read is then made on the writer.

The cache fails open (ADR 18): a cache that cannot answer means "read the writer", a
marker that is absent means "the replica". Everything else (writes, retirement's locking
read, engagement's evaluation, the bulk re-run read, commands, the per-request user) reads
the writer: the ORM's default, which the router (``pie.db.routers``) never sends elsewhere.
"""

import contextlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils import timezone

from pie.apps.core.cache import CACHE_UNAVAILABLE

log = logging.getLogger(__name__)

REPLICA = "read_replica"
WRITER = DEFAULT_DB_ALIAS

_SKIP_KEY = "pie:replica:skip"
_STATE_KEY = "pie:replica:state"
_STATE_SECONDS = 300


# This process's circuit breaker: the replica is not tried before this monotonic time.
_skip_until = 0.0


def configured() -> bool:
    """Whether ``DATABASES`` has a read replica."""
    return REPLICA in settings.DATABASES


def _marker_key(lms_user_id: int) -> str:
    return f"pie:replica:wrote:{lms_user_id}"


def _setting(name: str, default):
    return getattr(settings, name, default)


def _gtid_capable(alias: str) -> bool:
    connection = connections[alias]
    return connection.vendor == "mysql" and connection.mysql_is_mariadb


def remember_write(lms_user_id: int) -> None:
    """
    After the commit of a write for the learner: remember, for their next reads, the
    writer's ``@@last_gtid`` (MariaDB with a binary log), or that they wrote (otherwise).
    A cache that cannot store it is logged: the learner's next read then falls back on the
    cache's answer (a cache down means the writer).
    """
    if not configured():
        return
    gtid = ""
    if _gtid_capable(WRITER):
        with connections[WRITER].cursor() as cursor:
            cursor.execute("SELECT @@last_gtid")
            gtid = (cursor.fetchone() or ("",))[0] or ""
    try:
        cache.set(_marker_key(lms_user_id), gtid, timeout=_setting("READ_REPLICA_WRITE_WINDOW_SECONDS", 60))
    except CACHE_UNAVAILABLE as error:
        log.warning("The cache cannot remember a learner's write for read-your-writes: %r", error)


def _skipping() -> bool:
    return time.monotonic() < _skip_until


def trip(reason: str) -> None:
    """Skip the replica for ``READ_REPLICA_RETRY_SECONDS``, in this process and (if it answers) every worker."""
    global _skip_until
    seconds = _setting("READ_REPLICA_RETRY_SECONDS", 5)
    _skip_until = time.monotonic() + seconds
    log.warning("The read replica is skipped for %s s: %s", seconds, reason)
    with contextlib.suppress(DatabaseError):
        connections[REPLICA].close()
    with contextlib.suppress(CACHE_UNAVAILABLE):
        cache.set(_SKIP_KEY, reason, timeout=seconds)
    _record_state(state="SKIPPED", detail=reason)


def _record_state(*, state: str, detail: str = "", behind: int | None = None) -> None:
    value = {"state": state, "detail": detail[:200], "behind_transactions": behind, "at": timezone.now().isoformat()}
    with contextlib.suppress(CACHE_UNAVAILABLE):
        cache.set(_STATE_KEY, value, timeout=_STATE_SECONDS)


def replica_state() -> dict | None:
    """
    For ``/health/``: the replica's last known state as the readers recorded it in the
    cache (never probing the replica). ``None`` when no replica is configured; a state
    ``UNKNOWN`` when the cache has none or does not answer.
    """
    if not configured():
        return None
    try:
        state = cache.get(_STATE_KEY)
    except CACHE_UNAVAILABLE:
        state = None
    return state or {"state": "UNKNOWN", "detail": "", "behind_transactions": None, "at": None}


def _on_replica[T](read: Callable[[str], T]) -> T | None:
    """``read`` on the replica, or ``None`` after tripping the breaker when the replica fails."""
    try:
        return read(REPLICA)
    except DatabaseError as error:
        trip(f"{type(error).__name__}: {error}")
        return None


def _wait_for(gtid: str) -> bool:
    """Whether the replica has applied ``gtid`` within ``READ_REPLICA_GTID_WAIT_SECONDS`` (never unbounded)."""
    wait = float(_setting("READ_REPLICA_GTID_WAIT_SECONDS", 0.05))

    def caught_up(alias: str) -> bool:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT MASTER_GTID_WAIT(%s, %s)", [gtid, max(wait, 0.0)])
            return (cursor.fetchone() or (None,))[0] == 0

    return bool(_on_replica(caught_up))


def learner_alias(lms_user_id: int) -> str:
    """The alias a learner's own read uses: read-your-writes, the breaker, a failing cache."""
    if not configured() or _skipping():
        return WRITER
    try:
        found = cache.get_many([_marker_key(lms_user_id), _SKIP_KEY])
    except CACHE_UNAVAILABLE:
        return WRITER  # the cache cannot say whether they wrote: the writer (ADR 18)
    if _SKIP_KEY in found:
        return WRITER
    marker = found.get(_marker_key(lms_user_id))
    if marker is None:
        return REPLICA
    if marker and _gtid_capable(REPLICA) and _wait_for(marker):
        return REPLICA
    return WRITER


def learner_read[T](lms_user_id: int, read: Callable[[str], T]) -> T:
    """``read(alias)`` where the learner's own read belongs; the writer if the replica fails."""
    alias = learner_alias(lms_user_id)
    if alias == REPLICA:
        result = _on_replica(read)
        if result is not None:
            return result
    return read(WRITER)


def _behind() -> int | None:
    """How many transactions the replica is behind the writer (GTID gap); ``None`` if unknown."""
    if not (_gtid_capable(WRITER) and _gtid_capable(REPLICA)):
        return None
    with connections[WRITER].cursor() as cursor:
        cursor.execute("SELECT @@gtid_binlog_pos")
        writer = (cursor.fetchone() or ("",))[0] or ""

    def position(alias: str) -> str:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT @@gtid_slave_pos")
            return (cursor.fetchone() or ("",))[0] or ""

    replica = _on_replica(position)
    if replica is None:
        raise DatabaseError("the replica did not answer")
    return gtid_gap(writer, replica)


def gtid_gap(writer: str, replica: str) -> int:
    """Transactions in the writer's GTID position the replica's lacks (per domain, the highest sequence)."""

    def sequences(position: str) -> dict[int, int]:
        found: dict[int, int] = {}
        for gtid in filter(None, (part.strip() for part in position.split(","))):
            domain, _server, sequence = (int(number) for number in gtid.split("-"))
            found[domain] = max(found.get(domain, 0), sequence)
        return found

    at = sequences(replica)
    return sum(max(sequence - at.get(domain, 0), 0) for domain, sequence in sequences(writer).items())


def staff_read[T](read: Callable[[str], T]) -> tuple[T, int | None, str]:
    """
    ``read(alias)`` for a staff program read, with how many transactions behind the data
    may be (``None``: unknown or not a replica's) and the alias that answered.
    """
    if not configured() or _skipping():
        return read(WRITER), None, WRITER
    try:
        if cache.get(_SKIP_KEY) is not None:
            return read(WRITER), None, WRITER
    except CACHE_UNAVAILABLE:
        pass  # the breaker's shared half is unknown; this process's half said "try"
    try:
        behind = _behind()
    except DatabaseError:
        return read(WRITER), None, WRITER
    limit = _setting("READ_REPLICA_MAX_LAG", 1000)
    if behind is not None and behind > limit:
        trip(f"{behind} transactions behind the writer (limit {limit})")
        return read(WRITER), None, WRITER
    result = _on_replica(read)
    if result is None:
        return read(WRITER), None, WRITER
    _record_state(state="OK", behind=behind)
    return result, behind, REPLICA


LAG_HEADER = "X-PIE-Replica-Lag"


def lag_headers(alias: str, behind: int | None) -> dict[str, str]:
    """
    The staff read's answer headers: ``X-PIE-Replica-Lag`` is how many transactions the
    replica that answered was behind the writer (``unknown`` without GTIDs); absent when
    the writer answered (its data is current).
    """
    if alias != REPLICA:
        return {}
    return {LAG_HEADER: "unknown" if behind is None else f"{behind} transactions"}
