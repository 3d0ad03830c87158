"""
Which learners are retired, by the salted hashes ``RetiredLearner`` keeps.

A retired learner's LMS user id is never stored: each is kept as the first 63 bits of a
keyed BLAKE2b (a MAC) of the id, under the first salt of ``PIE_RETIREMENT_SALTS``; the
other salts (earlier ones, as Open edX rotates ``RETIRED_USER_SALTS``) are still checked.
Reads are by the hash's unique index: one query for one learner, or one for all the
learners of a batch (``core.sql.in_integers``). Every write path of PIE asks here (``core.users`` for local users,
the intents' ``services`` and ``writing``).
"""

import functools
import hashlib
from collections.abc import Iterable
from hashlib import blake2b

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections

from pie.apps.core.models import RetiredLearner
from pie.apps.core.sql import in_integers

HASH_COLUMN = RetiredLearner._meta.get_field("lms_user_id_hash").column


def learner_hashes(lms_user_id: int) -> list[int]:
    """The learner's hash under each salt, the current salt's first."""
    message = str(lms_user_id).encode()
    return [int.from_bytes(blake2b(message, digest_size=8, key=key).digest()) >> 1 for key in _salt_keys()]


def hashes_of_learners(lms_user_ids: Iterable[int]) -> dict[int, int]:
    """Each hash of each learner, mapped to its learner: for a batch's thousands, in one loop."""
    keys = _salt_keys()
    from_bytes = int.from_bytes
    return {
        from_bytes(blake2b(message, digest_size=8, key=key).digest()) >> 1: learner
        for learner in set(lms_user_ids)
        for message in (str(learner).encode(),)
        for key in keys
    }


def mark_retired(lms_user_id: int, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Keep the learner's hash, under the current salt (the first; the others are only checked)."""
    RetiredLearner.objects.using(using).get_or_create(lms_user_id_hash=learner_hashes(lms_user_id)[0])


def is_retired(lms_user_id: int, *, lock: bool = False, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the learner is retired (``retired_among_hashes``, ``lock`` likewise)."""
    return bool(retired_among_hashes(hashes_of_learners([lms_user_id]), lock=lock, using=using))


def retired_among_hashes(by_hash: dict[int, int], *, lock: bool = False, using: str = DEFAULT_DB_ALIAS) -> set[int]:
    """
    The retired learners of ``by_hash`` (``hashes_of_learners``' answer): one indexed query.

    ``lock``: a locking read, for a writer that has just written its learners' rows in the
    same transaction (ADR 0017). On MySQL/MariaDB it waits for a retirement that has kept a
    hash and not yet committed, and then sees it; on SQLite, whose write transactions are
    serialised (``BEGIN IMMEDIATE``), a plain read inside the transaction is the same.
    """
    if not by_hash:
        return set()
    db = connections[using]
    column, table = db.ops.quote_name(HASH_COLUMN), db.ops.quote_name(RetiredLearner._meta.db_table)
    among, params = in_integers(db, column, by_hash)
    lock_sql = " LOCK IN SHARE MODE" if lock and db.vendor == "mysql" else ""
    sql = f"SELECT {column} FROM {table} WHERE {among}{lock_sql}"
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return {by_hash[hashed] for (hashed,) in cursor.fetchall()}


def _salt_keys() -> list[bytes]:
    salts = settings.PIE_RETIREMENT_SALTS
    if not salts:
        # Without a salt no retired learner could be recognised: refuse rather than let one back.
        raise ImproperlyConfigured("PIE_RETIREMENT_SALTS is empty: set at least one secret salt.")
    return _keys(tuple(salts))


@functools.lru_cache(maxsize=4)
def _keys(salts: tuple[str, ...]) -> list[bytes]:
    # BLAKE2b takes a key of at most 64 bytes: a salt of any length becomes 32.
    return [hashlib.sha256(salt.encode()).digest() for salt in salts]
