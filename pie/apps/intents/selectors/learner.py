"""A learner's reads: their current intent for each program, and their history of one program."""

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections

from pie.apps.intents.constants import IntentKey
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.selectors.ranking import (
    NEWEST_FIRST,
    IntentRow,
    columns,
    current_intents_sql,
    intent_row,
    program_param,
    table,
    time_param,
    uuid_of,
)


def most_recent_and_certain(
    *,
    lms_user_id: int,
    program_uuids: Iterable[UUID | str] | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> list[IntentRow]:
    """
    Return the learner's "most recent and certain" intent for each of their programs.

    Per program: the latest (by ``effective_timestamp``) intent that is ``CERTAIN_YES``
    or ``CERTAIN_NO``; if the program has none, the latest ``MAYBE``. Ties on
    ``effective_timestamp`` go to the later ``created``, then the larger id. The result
    is ordered newest first, and limited to ``program_uuids`` when given.

    One query, whatever the number of programs: a window function ranks each program's
    intents in the database, over the learner's rows only (the unique index leads with
    ``lms_user_id``). Its SQL is written once per backend and number of programs named
    (``_most_recent_and_certain_sql``), not compiled by the ORM on every call. ``using`` is
    the database alias read (the writer by default; the views choose: pie.apps.core.replica).
    """
    db = connections[using]
    programs = None if program_uuids is None else [_as_uuid(program) for program in program_uuids]
    if programs == []:
        return []
    sql = _most_recent_and_certain_sql(db.vendor, len(programs) if programs else None)
    field = ProgramIntent._meta.get_field("program_uuid")
    params = [lms_user_id, *(field.get_db_prep_value(program, db) for program in programs or ())]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Both drivers give a UUID as its text (32 hex digits, or hyphenated for a native
    # UUID column) and a DATETIME as a naive datetime in UTC. A heavy learner's list has
    # a thousand rows: tuple.__new__ skips IntentRow's Python-level __new__ for each.
    new, utc = tuple.__new__, UTC
    return [
        new(
            IntentRow, (pk, user, uuid_of(program), reason, certainty, at.replace(tzinfo=utc), made.replace(tzinfo=utc))
        )
        for pk, user, program, reason, certainty, at, made in rows
    ]


def _as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


@lru_cache(maxsize=256)
def _most_recent_and_certain_sql(vendor: str, programs: int | None) -> str:
    """
    The read rule's SQL for one learner (``ranking.current_intents_sql``, one group per program):
    parameters ``lms_user_id`` then, when ``programs`` is given, that many program UUIDs.
    """
    where = ["{lms_user_id} = %s"]
    if programs:
        where.append(f"{{program_uuid}} IN ({', '.join(['%s'] * programs)})")
    return current_intents_sql(vendor, per="program_uuid", where=tuple(where), order="newest_first")


def program_history(
    *,
    lms_user_id: int,
    program_uuid: UUID,
    recorded_by: datetime,
    after: tuple[datetime, datetime, int] | None = None,
    before: tuple[datetime, datetime, int] | None = None,
    limit: int,
    using: str = DEFAULT_DB_ALIAS,
) -> tuple[list[IntentRow], bool]:
    """
    A page of the learner's whole history for one program: every intent recorded by
    ``recorded_by``, newest first (``effective_timestamp``, then ``created``, then id: the
    rule's tie-breaks). ``after`` and ``before`` are the (``effective_timestamp``,
    ``created``, ``id``) of an intent: the page is the first ``limit`` intents after it,
    or the last ``limit`` before it. Returns the page, newest first, and whether there
    are more intents beyond it in the direction read. One query (the unique index leads
    with the learner and the program), its SQL written once per backend and direction.
    ``using`` is the database alias read (the writer by default).
    """
    if after is not None and before is not None:
        raise ValueError("after or before, not both")
    db = connections[using]
    position, older = (before, False) if before is not None else (after, True)
    params = [lms_user_id, program_param(program_uuid, db), time_param("created", recorded_by, db)]
    if position is not None:
        at, made = time_param("effective_timestamp", position[0], db), time_param("created", position[1], db)
        params += [at, at, made, made, position[2]]
    with db.cursor() as cursor:
        cursor.execute(_history_sql(db.vendor, position is not None, older), [*params, limit + 1])
        found = [intent_row(row) for row in cursor.fetchall()]
    more = len(found) > limit
    page = found[:limit]
    return (page if older else page[::-1]), more


@lru_cache(maxsize=16)
def _history_sql(vendor: str, from_position: bool, older: bool) -> str:
    """One learner's intents for one program, newest first (``older``) or oldest first, from a position (excluded)."""
    column = columns()
    names = ", ".join(column[name] for name in IntentRow._fields)
    where = f"{column['lms_user_id']} = %s AND {column['program_uuid']} = %s AND {column['created']} <= %s"
    if from_position:
        beyond = "<" if older else ">"
        at, made, pk = (column[name] for name in NEWEST_FIRST)
        where += (
            f" AND ({at} {beyond} %s OR ({at} = %s AND ({made} {beyond} %s OR ({made} = %s AND {pk} {beyond} %s))))"
        )
    direction = " DESC" if older else ""
    order = ", ".join(f"{column[name]}{direction}" for name in NEWEST_FIRST)
    return f"SELECT {names} FROM {table()} WHERE {where} ORDER BY {order} LIMIT %s"


def recorded_keys(*, lms_user_ids: Iterable[int], program_uuids: Iterable[UUID], reasons: Iterable[str]) -> set:
    """
    The keys (``IntentKey``) of the intents recorded for these learners, programs and reasons,
    in one query served by the unique index (its first column is the learner): what a caller
    that records derived intents (engagement's rules) already recorded.
    """
    rows = ProgramIntent.objects.filter(
        lms_user_id__in=list(lms_user_ids), program_uuid__in=list(program_uuids), reason__in=list(reasons)
    ).values_list(*IntentKey._fields)
    return {IntentKey(*row) for row in rows}
