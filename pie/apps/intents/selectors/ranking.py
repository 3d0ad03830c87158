"""
The rule's ranking in SQL, written once for every read of ``selectors``, and the row a read returns.

``ranked_sql`` ranks each group's intents by the rule; ``current_intents_sql`` reads the
first of each group back. The SQL is written from the model's table and column names,
quoted by the backend.
"""

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


# Newest first, the rule's tie-breaks: the effective time, then when PIE recorded it, then the id.
NEWEST_FIRST = ("effective_timestamp", "created", "id")

# Programs are few next to reads: each program's text is parsed once per process.
uuid_of = lru_cache(maxsize=65536)(UUID)


def columns() -> dict[str, str]:
    """Each field of ``ProgramIntent``, its column's quoted name."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    return {field.name: quote(field.column) for field in ProgramIntent._meta.concrete_fields}


def table() -> str:
    """The quoted name of the intents' table."""
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(ProgramIntent._meta.db_table)


def current_intents_sql(
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
    The current intents of the rule's ranking (``ranked_sql``): each ``per`` group's
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
    column = columns()
    intents = table()
    # The window ranks ids only, and the current intents' values are read back by id: on
    # MariaDB a window over a popular program's wide rows spills its temporary table to
    # disk, twice as slow as ranking the ids and joining 50,000 rows back.
    outer = {name: f"{intents}.{quoted}" for name, quoted in column.items()}
    names = ", ".join(outer[name] for name in fields)
    newest_first = ", ".join(f"{outer[name]} DESC" for name in NEWEST_FIRST)
    orders = {
        None: "",
        "newest_first": f" ORDER BY {newest_first}",
        "learner": f" ORDER BY {outer['lms_user_id']}",
        "learner_desc": f" ORDER BY {outer['lms_user_id']} DESC",
    }
    kept = " AND ".join(condition.format(**outer) for condition in having)
    ranked = ranked_sql(per=per, where=where, carry=f"{column['id']} AS current_id")
    return (
        f"SELECT {names} FROM (SELECT current_id FROM ({ranked}) ranked WHERE rank_in_group = 1) chosen "
        f"JOIN {intents} ON {outer['id']} = chosen.current_id"
        f"{' WHERE ' + kept if kept else ''}{orders[order]}{' LIMIT %s' if limit else ''}"
    )


def ranked_sql(*, per: str, where: tuple[str, ...], carry: str) -> str:
    """
    The rule's ranking, the one place it is written: the rows meeting ``where``, each with
    ``carry`` (SQL of their columns) and its rank in its ``per`` group (``rank_in_group``:
    1 is the current intent). By certainty rank, then newest first: the rule's tie-breaks.
    """
    column = columns()
    # Literal ranks of literal certainty names (constants, never input).
    rank = " ".join(f"WHEN '{certainty}' THEN {value}" for certainty, value in CERTAINTY_RANK.items())
    newest_first = ", ".join(f"{column[name]} DESC" for name in NEWEST_FIRST)
    conditions = " AND ".join(condition.format(**column) for condition in where)
    return (
        f"SELECT {carry}, ROW_NUMBER() OVER (PARTITION BY {column[per]} "
        f"ORDER BY CASE {column['certainty']} {rank} END, {newest_first}) AS rank_in_group "
        f"FROM {table()} WHERE {conditions}"
    )


def program_param(program_uuid: UUID, db):
    """A program UUID as ``db`` takes it as a parameter."""
    return ProgramIntent._meta.get_field("program_uuid").get_db_prep_value(program_uuid, db)


def time_param(field: str, value: datetime, db):
    """A time as ``db`` takes it as a parameter compared with ``field``."""
    return ProgramIntent._meta.get_field(field).get_db_prep_value(value, db)


def intent_row(row) -> IntentRow:
    """A row of ``IntentRow._fields`` as the driver gives it (a UUID as text, naive UTC times), as an ``IntentRow``."""
    pk, user, program, reason, certainty, at, made = row
    return IntentRow(pk, user, uuid_of(program), reason, certainty, at.replace(tzinfo=UTC), made.replace(tzinfo=UTC))
