"""A program's reads: its learners counted by their current intent, and its learners a page at a time."""

from collections.abc import Collection
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections

from pie.apps.intents.constants import IntentCertainty, IntentReason
from pie.apps.intents.selectors.ranking import (
    IntentRow,
    columns,
    current_intents_sql,
    intent_row,
    program_param,
    ranked_sql,
    table,
    time_param,
)


class Engagement(NamedTuple):
    """How many learners a program has, counted by their current intent for it."""

    learners: int
    by_certainty: dict[str, int]  # every certainty, zeros included
    by_reason: dict[str, int]  # every reason, zeros included


def program_engagement(
    *, program_uuid: UUID, as_of: datetime | None = None, using: str = DEFAULT_DB_ALIAS
) -> Engagement:
    """
    Count the program's learners by each one's current intent for it: the rule of
    ``most_recent_and_certain``, applied per learner. With ``as_of``, among the intents in
    effect then (``effective_timestamp`` at or before it), so that a backfill of older
    intents changes past figures too. One query, the counting done by the database.
    ``using`` is the database alias read (the writer by default).
    """
    db = connections[using]
    params = [program_param(program_uuid, db)]
    if as_of is not None:
        params.append(time_param("effective_timestamp", as_of, db))
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
    column = columns()
    where = ("{program_uuid} = %s", "{effective_timestamp} <= %s") if as_of else ("{program_uuid} = %s",)

    def code(field: str, values: list[str]) -> str:
        # Literal names of the constants' values, never input.
        return (
            f"CASE {column[field]} " + " ".join(f"WHEN '{value}' THEN {n}" for n, value in enumerate(values)) + " END"
        )

    certainty, reason = code("certainty", IntentCertainty.values), code("reason", IntentReason.values)
    carry = f"{certainty} AS certainty_code, {reason} AS reason_code"
    ranked = ranked_sql(per="lms_user_id", where=where, carry=carry)
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
    using: str = DEFAULT_DB_ALIAS,
) -> tuple[list[IntentRow], bool]:
    """
    A page of the program's learners, each with their current intent for it (the rule of
    ``most_recent_and_certain``, per learner), among the intents recorded by
    ``recorded_by`` and committed as it reads (a write stamps ``created`` before its
    commit); the filters apply to the current intent. Learners come in the order
    of their LMS user ids: the first ``limit`` after ``after``, or the last ``limit``
    before ``before``. Returns the page, in that order, and whether there are more
    learners beyond it in the direction read.

    Keyset pages: each look-up ranks only the next learners of the program (the index on
    program and learner finds them), so a page deep in the list costs what the first
    does. A page needs two queries, and two more for each step further when its filters
    match few learners. ``using`` is the database alias read (the writer by default).
    """
    if after is not None and before is not None:
        raise ValueError("after or before, not both")
    db = connections[using]
    backwards = before is not None
    program = program_param(program_uuid, db)
    recorded = time_param("created", recorded_by, db)
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
            found.extend(intent_row(row) for row in cursor.fetchall())
            if learners < step:
                break  # the program has no learners beyond this step
            start, step = end, min(step * 2, _MAX_LEARNERS_A_STEP)
    more = len(found) > limit
    page = found[:limit]
    return (page[::-1] if backwards else page), more


@lru_cache(maxsize=16)
def _learners_step_sql(vendor: str, backwards: bool) -> str:
    """The last learner of the next ``%s`` learners of a program from a learner (excluded), and how many there are."""
    column = columns()
    learner = column["lms_user_id"]
    beyond, order, last = ("<", "DESC", "MIN") if backwards else (">", "", "MAX")
    return (
        f"SELECT {last}(learner), COUNT(*) FROM (SELECT {learner} AS learner FROM {table()} "
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
    return current_intents_sql(vendor, per="lms_user_id", where=where, having=tuple(having), order=order, limit=True)
