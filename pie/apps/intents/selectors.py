"""
Read rules for program intents, computed in the database.

Only this module knows how intents rank: the certainty ranking comes from
``constants.CERTAINTY_RANK``.
"""

from collections.abc import Iterable
from uuid import UUID

from django.db.models import Case, F, IntegerField, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber

from pie.apps.intents.constants import CERTAINTY_RANK
from pie.apps.intents.models import ProgramIntent


def _certainty_rank() -> Case:
    return Case(
        *(When(certainty=certainty, then=Value(rank)) for certainty, rank in CERTAINTY_RANK.items()),
        output_field=IntegerField(),
    )


def most_recent_and_certain(
    *,
    lms_user_id: int,
    program_uuids: Iterable[UUID | str] | None = None,
) -> QuerySet[ProgramIntent]:
    """
    Return the learner's "most recent and certain" intent for each of their programs.

    Per program: the latest (by ``effective_timestamp``) intent that is ``CERTAIN_YES``
    or ``CERTAIN_NO``; if the program has none, the latest ``MAYBE``. Ties on
    ``effective_timestamp`` go to the later ``created``, then the larger id. The result
    is ordered newest first, and limited to ``program_uuids`` when given.

    One query, whatever the number of programs: a window function ranks each program's
    intents in the database, over the learner's rows only (the unique index leads with
    ``lms_user_id``).
    """
    intents = ProgramIntent.objects.filter(lms_user_id=lms_user_id)
    if program_uuids is not None:
        intents = intents.filter(program_uuid__in=list(program_uuids))
    return (
        intents.annotate(
            rank_in_program=Window(
                RowNumber(),
                partition_by=[F("program_uuid")],
                order_by=[
                    _certainty_rank().asc(),
                    F("effective_timestamp").desc(),
                    F("created").desc(),
                    F("id").desc(),
                ],
            )
        )
        .filter(rank_in_program=1)
        .order_by("-effective_timestamp", "-created", "-id")
    )
