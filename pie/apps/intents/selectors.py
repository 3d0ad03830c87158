"""
Read rules for program intents, computed in the database.

Only this module knows how intents rank: the certainty ranking comes from
``constants.CERTAINTY_RANK``, and one SQL builder (``_ranked_sql``) ranks intents by the
rule for every read: a learner's programs (``most_recent_and_certain``) and a program's
learners (``program_engagement``, ``program_learners``).
"""

from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections

from pie.apps.intents.constants import CERTAINTY_RANK, IntentCertainty, IntentReason
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
    The read rule's SQL for one learner (``_current_intents_sql``, one group per program):
    parameters ``lms_user_id`` then, when ``programs`` is given, that many program UUIDs.
    """
    where = ["{lms_user_id} = %s"]
    if programs:
        where.append(f"{{program_uuid}} IN ({', '.join(['%s'] * programs)})")
    return _current_intents_sql(vendor, per="program_uuid", where=tuple(where), order="newest_first")


def _columns() -> dict[str, str]:
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    return {field.name: quote(field.column) for field in ProgramIntent._meta.concrete_fields}


def _current_intents_sql(
    vendor: str,
    *,
    per: str,
    where: tuple[str, ...],
    fields: tuple[str, ...] = IntentRow._fields,
    having: tuple[str, ...] = (),
    order: str | None = None,
    limit: bool = False,
) -> str:
    """
    The current intents of the rule's ranking (``_ranked_sql``): each ``per`` group's
    (``per`` is ``program_uuid`` for a learner's programs, ``lms_user_id`` for a
    program's learners) among the rows that meet ``where``.

    Within a group, the intents rank by certainty (``CERTAINTY_RANK``: a certain answer
    beats a maybe), then newest first: ``effective_timestamp``, then ``created``, then
    the larger id. A window function (SQLite 3.25+, MySQL 8, MariaDB 10.2+) ranks them in
    the database; the first of each group is kept. ``where`` and ``having`` (conditions
    on the current intent) are SQL with ``%s`` parameters and ``{field}`` for a column;
    ``order`` is ``newest_first``, ``learner`` or ``learner_desc``; ``limit`` adds a
    ``LIMIT %s`` parameter last. ``vendor`` keys the caches of the callers' SQL.
    """
    column = _columns()
    table = _table()
    # The window ranks ids only, and the current intents' values are read back by id: on
    # MariaDB a window over a popular program's wide rows spills its temporary table to
    # disk, twice as slow as ranking the ids and joining 50,000 rows back.
    outer = {name: f"{table}.{quoted}" for name, quoted in column.items()}
    names = ", ".join(outer[name] for name in fields)
    newest_first = ", ".join(f"{outer[name]} DESC" for name in _NEWEST_FIRST)
    orders = {
        None: "",
        "newest_first": f" ORDER BY {newest_first}",
        "learner": f" ORDER BY {outer['lms_user_id']}",
        "learner_desc": f" ORDER BY {outer['lms_user_id']} DESC",
    }
    kept = " AND ".join(condition.format(**outer) for condition in having)
    ranked = _ranked_sql(per=per, where=where, carry=f"{column['id']} AS current_id")
    return (
        f"SELECT {names} FROM (SELECT current_id FROM ({ranked}) ranked WHERE rank_in_group = 1) chosen "
        f"JOIN {table} ON {outer['id']} = chosen.current_id"
        f"{' WHERE ' + kept if kept else ''}{orders[order]}{' LIMIT %s' if limit else ''}"
    )


def _ranked_sql(*, per: str, where: tuple[str, ...], carry: str) -> str:
    """
    The rule's ranking, the one place it is written: the rows meeting ``where``, each with
    ``carry`` (SQL of their columns) and its rank in its ``per`` group (``rank_in_group``:
    1 is the current intent). By certainty rank, then newest first: the rule's tie-breaks.
    """
    column = _columns()
    # Literal ranks of literal certainty names (constants, never input).
    rank = " ".join(f"WHEN '{certainty}' THEN {value}" for certainty, value in CERTAINTY_RANK.items())
    newest_first = ", ".join(f"{column[name]} DESC" for name in _NEWEST_FIRST)
    conditions = " AND ".join(condition.format(**column) for condition in where)
    return (
        f"SELECT {carry}, ROW_NUMBER() OVER (PARTITION BY {column[per]} "
        f"ORDER BY CASE {column['certainty']} {rank} END, {newest_first}) AS rank_in_group "
        f"FROM {_table()} WHERE {conditions}"
    )


# Newest first, the rule's tie-breaks: the effective time, then when PIE recorded it, then the id.
_NEWEST_FIRST = ("effective_timestamp", "created", "id")


def _table() -> str:
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(ProgramIntent._meta.db_table)


class Engagement(NamedTuple):
    """How many learners a program has, counted by their current intent for it."""

    learners: int
    by_certainty: dict[str, int]  # every certainty, zeros included
    by_reason: dict[str, int]  # every reason, zeros included


def program_engagement(*, program_uuid: UUID, as_of: datetime | None = None) -> Engagement:
    """
    Count the program's learners by each one's current intent for it: the rule of
    ``most_recent_and_certain``, applied per learner. With ``as_of``, among the intents in
    effect then (``effective_timestamp`` at or before it), so that a backfill of older
    intents changes past figures too. One query, the counting done by the database.
    """
    db = connections[DEFAULT_DB_ALIAS]
    params = [_program_param(program_uuid, db)]
    if as_of is not None:
        params.append(_time_param("effective_timestamp", as_of, db))
    with db.cursor() as cursor:
        cursor.execute(_engagement_sql(db.vendor, as_of is not None), params)
        counts = cursor.fetchall()
    by_certainty = dict.fromkeys(IntentCertainty.values, 0)
    by_reason = dict.fromkeys(IntentReason.values, 0)
    for certainty, reason, count in counts:
        by_certainty[IntentCertainty.values[certainty]] += count
        if reason is not None:  # a reason PIE no longer knows is counted under its certainty only
            by_reason[IntentReason.values[reason]] += count
    return Engagement(learners=sum(by_certainty.values()), by_certainty=by_certainty, by_reason=by_reason)


@lru_cache(maxsize=16)
def _engagement_sql(vendor: str, as_of: bool) -> str:
    """
    The rule per learner, counted: the ranked rows carry their certainty and reason as
    small numbers (their index in ``IntentCertainty`` and ``IntentReason``), so that
    MariaDB's window over a popular program's rows stays narrow and in memory.
    """
    column = _columns()
    where = ("{program_uuid} = %s", "{effective_timestamp} <= %s") if as_of else ("{program_uuid} = %s",)

    def code(field: str, values: list[str]) -> str:
        # Literal names of the constants' values, never input.
        return (
            f"CASE {column[field]} " + " ".join(f"WHEN '{value}' THEN {n}" for n, value in enumerate(values)) + " END"
        )

    certainty, reason = code("certainty", IntentCertainty.values), code("reason", IntentReason.values)
    carry = f"{certainty} AS certainty_code, {reason} AS reason_code"
    ranked = _ranked_sql(per="lms_user_id", where=where, carry=carry)
    return (
        f"SELECT certainty_code, reason_code, COUNT(*) FROM ({ranked}) ranked "
        "WHERE rank_in_group = 1 GROUP BY certainty_code, reason_code"
    )


# The most learners one look-up of a page ranks at once: a page whose filters match few
# learners looks further in steps that double up to this.
_MAX_LEARNERS_A_STEP = 20_000


def program_learners(
    *,
    program_uuid: UUID,
    recorded_by: datetime,
    certainties: Collection[str] = (),
    reasons: Collection[str] = (),
    after: int | None = None,
    before: int | None = None,
    limit: int,
) -> tuple[list[IntentRow], bool]:
    """
    A page of the program's learners, each with their current intent for it (the rule of
    ``most_recent_and_certain``, per learner), among the intents recorded by
    ``recorded_by``; the filters apply to the current intent. Learners come in the order
    of their LMS user ids: the first ``limit`` after ``after``, or the last ``limit``
    before ``before``. Returns the page, in that order, and whether there are more
    learners beyond it in the direction read.

    Keyset pages: each look-up ranks only the next learners of the program (the index on
    program and learner finds them), so a page deep in the list costs what the first
    does. A page needs two queries, and two more for each step further when its filters
    match few learners.
    """
    if after is not None and before is not None:
        raise ValueError("after or before, not both")
    db = connections[DEFAULT_DB_ALIAS]
    backwards = before is not None
    program = _program_param(program_uuid, db)
    recorded = _time_param("created", recorded_by, db)
    certainties, reasons = sorted(certainties), sorted(reasons)
    page_sql = _learners_page_sql(db.vendor, len(certainties), len(reasons), backwards)
    step_sql = _learners_step_sql(db.vendor, backwards)
    found: list[IntentRow] = []
    start = before if backwards else after
    step = limit + 1
    with db.cursor() as cursor:
        while len(found) <= limit:
            # The learners of this step: from ``start`` (excluded) to ``end`` (included).
            cursor.execute(step_sql, [program, 0 if start is None else start, step])
            end, learners = cursor.fetchone()
            if not learners:
                break
            # Ids are whole numbers: backwards, the range [end, start) is (end - 1, start - 1].
            low, high = (end - 1, start - 1) if backwards else (start or 0, end)
            params = [program, recorded, low, high, *certainties, *reasons, limit + 1 - len(found)]
            cursor.execute(page_sql, params)
            found.extend(_intent_row(row) for row in cursor.fetchall())
            if learners < step:
                break  # the program has no learners beyond this step
            start, step = end, min(step * 2, _MAX_LEARNERS_A_STEP)
    more = len(found) > limit
    page = found[:limit]
    return (page[::-1] if backwards else page), more


@lru_cache(maxsize=16)
def _learners_step_sql(vendor: str, backwards: bool) -> str:
    """The last learner of the next ``%s`` learners of a program from a learner (excluded), and how many there are."""
    column = _columns()
    learner = column["lms_user_id"]
    beyond, order, last = ("<", "DESC", "MIN") if backwards else (">", "", "MAX")
    return (
        f"SELECT {last}(learner), COUNT(*) FROM (SELECT {learner} AS learner FROM {_table()} "
        f"WHERE {column['program_uuid']} = %s AND {learner} {beyond} %s "
        f"GROUP BY {learner} ORDER BY {learner} {order} LIMIT %s) step"
    )


@lru_cache(maxsize=1024)
def _learners_page_sql(vendor: str, certainties: int, reasons: int, backwards: bool) -> str:
    """The current intents of a program's learners in a range, (low, high], with filters on them."""
    having = []
    if certainties:
        having.append(f"{{certainty}} IN ({', '.join(['%s'] * certainties)})")
    if reasons:
        having.append(f"{{reason}} IN ({', '.join(['%s'] * reasons)})")
    where = ("{program_uuid} = %s", "{created} <= %s", "{lms_user_id} > %s", "{lms_user_id} <= %s")
    order = "learner_desc" if backwards else "learner"
    return _current_intents_sql(vendor, per="lms_user_id", where=where, having=tuple(having), order=order, limit=True)


def program_history(
    *,
    lms_user_id: int,
    program_uuid: UUID,
    recorded_by: datetime,
    after: tuple[datetime, datetime, int] | None = None,
    before: tuple[datetime, datetime, int] | None = None,
    limit: int,
) -> tuple[list[IntentRow], bool]:
    """
    A page of the learner's whole history for one program: every intent recorded by
    ``recorded_by``, newest first (``effective_timestamp``, then ``created``, then id: the
    rule's tie-breaks). ``after`` and ``before`` are the (``effective_timestamp``,
    ``created``, ``id``) of an intent: the page is the first ``limit`` intents after it,
    or the last ``limit`` before it. Returns the page, newest first, and whether there
    are more intents beyond it in the direction read. One query (the unique index leads
    with the learner and the program), its SQL written once per backend and direction.
    """
    if after is not None and before is not None:
        raise ValueError("after or before, not both")
    db = connections[DEFAULT_DB_ALIAS]
    position, older = (before, False) if before is not None else (after, True)
    params = [lms_user_id, _program_param(program_uuid, db), _time_param("created", recorded_by, db)]
    if position is not None:
        at, made = _time_param("effective_timestamp", position[0], db), _time_param("created", position[1], db)
        params += [at, at, made, made, position[2]]
    with db.cursor() as cursor:
        cursor.execute(_history_sql(db.vendor, position is not None, older), [*params, limit + 1])
        found = [_intent_row(row) for row in cursor.fetchall()]
    more = len(found) > limit
    page = found[:limit]
    return (page if older else page[::-1]), more


@lru_cache(maxsize=16)
def _history_sql(vendor: str, from_position: bool, older: bool) -> str:
    """One learner's intents for one program, newest first (``older``) or oldest first, from a position (excluded)."""
    column = _columns()
    names = ", ".join(column[name] for name in IntentRow._fields)
    where = f"{column['lms_user_id']} = %s AND {column['program_uuid']} = %s AND {column['created']} <= %s"
    if from_position:
        beyond = "<" if older else ">"
        at, made, pk = (column[name] for name in _NEWEST_FIRST)
        where += (
            f" AND ({at} {beyond} %s OR ({at} = %s AND ({made} {beyond} %s OR ({made} = %s AND {pk} {beyond} %s))))"
        )
    direction = " DESC" if older else ""
    order = ", ".join(f"{column[name]}{direction}" for name in _NEWEST_FIRST)
    return f"SELECT {names} FROM {_table()} WHERE {where} ORDER BY {order} LIMIT %s"


def _program_param(program_uuid: UUID, db):
    return ProgramIntent._meta.get_field("program_uuid").get_db_prep_value(program_uuid, db)


def _time_param(field: str, value: datetime, db):
    return ProgramIntent._meta.get_field(field).get_db_prep_value(value, db)


def _intent_row(row) -> IntentRow:
    pk, user, program, reason, certainty, at, made = row
    return IntentRow(pk, user, _uuid(program), reason, certainty, at.replace(tzinfo=UTC), made.replace(tzinfo=UTC))
