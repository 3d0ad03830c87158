"""
Read rules for program intents, computed in the database.

Only this module knows how intents rank: the certainty ranking comes from
``constants.CERTAINTY_RANK``.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections

from pie.apps.intents.constants import CERTAINTY_RANK
from pie.apps.intents.models import ProgramIntent


class IntentRow(NamedTuple):
    """An intent as a read returns it: the values of a ``ProgramIntent``, without the model instance."""

    id: int
    lms_user_id: int
    program_uuid: UUID
    reason: str
    certainty: str
    effective_timestamp: datetime  # aware, UTC
    created: datetime  # aware, UTC


def most_recent_and_certain(
    *,
    lms_user_id: int,
    program_uuids: Iterable[UUID | str] | None = None,
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
    (``_most_recent_and_certain_sql``), not compiled by the ORM on every call.
    """
    db = connections[DEFAULT_DB_ALIAS]
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
        new(IntentRow, (pk, user, _uuid(program), reason, certainty, at.replace(tzinfo=utc), made.replace(tzinfo=utc)))
        for pk, user, program, reason, certainty, at, made in rows
    ]


# Programs are few next to reads: each program's text is parsed once per process.
_uuid = lru_cache(maxsize=65536)(UUID)


def _as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


@lru_cache(maxsize=256)
def _most_recent_and_certain_sql(vendor: str, programs: int | None) -> str:
    """
    The read rule's SQL (SQLite 3.25+ and MySQL 8 / MariaDB 10.2+ have window functions):
    parameters ``lms_user_id`` then, when ``programs`` is given, that many program UUIDs.
    """
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    meta = ProgramIntent._meta
    column = {field.name: quote(field.column) for field in meta.concrete_fields}
    names = ", ".join(column[name] for name in IntentRow._fields)
    # Literal ranks of literal certainty names (constants, never input).
    rank = " ".join(f"WHEN '{certainty}' THEN {value}" for certainty, value in CERTAINTY_RANK.items())
    newest_first = f"{column['effective_timestamp']} DESC, {column['created']} DESC, {column['id']} DESC"
    narrow = f" AND {column['program_uuid']} IN ({', '.join(['%s'] * programs)})" if programs else ""
    return (
        f"SELECT {names} FROM ("
        f"SELECT {names}, ROW_NUMBER() OVER (PARTITION BY {column['program_uuid']} "
        f"ORDER BY CASE {column['certainty']} {rank} END, {newest_first}) AS rank_in_program "
        f"FROM {quote(meta.db_table)} WHERE {column['lms_user_id']} = %s{narrow}"
        f") ranked WHERE rank_in_program = 1 ORDER BY {newest_first}"
    )
