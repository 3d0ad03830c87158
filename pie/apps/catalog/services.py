"""The catalog's one write: a copy from course-discovery replaces what PIE holds, all or nothing."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from pie.apps.catalog.discovery import ListedProgram
from pie.apps.catalog.models import Program, ProgramCourse, ProgramRun
from pie.apps.catalog.signals import catalog_changed


@dataclass
class CopyOutcome:
    """What a copy did to the catalog, program by program."""

    added: list[uuid.UUID] = field(default_factory=list)
    changed: list[uuid.UUID] = field(default_factory=list)
    unchanged: int = 0
    # Held by PIE, missing from the listing: removed with ``delete``, else kept as they were.
    removed: list[uuid.UUID] = field(default_factory=list)
    missing_kept: list[uuid.UUID] = field(default_factory=list)


def replace_catalog(listed: Iterable[ListedProgram], *, delete: bool, copied_at: datetime) -> CopyOutcome:
    """
    Make the catalog what ``listed`` says, in one transaction: new programs are added,
    programs whose title, status, courses or runs differ are rewritten, and programs the
    listing misses are removed only with ``delete``. A copy that changes nothing writes nothing.
    A program whose courses or runs change keeps the copy's time as its
    ``composition_changed_at`` (ADR 26). A copy that adds programs, or changes their courses,
    runs or status, sends ``signals.catalog_changed`` for them in its transaction (a title
    alone changes no learner's rules).
    """
    outcome = CopyOutcome()
    with transaction.atomic():
        held, composed_at = _held()
        listed_by_uuid = {program.uuid: program for program in listed}
        for program in listed_by_uuid.values():
            before = held.get(program.uuid)
            if before is None:
                outcome.added.append(program.uuid)
            elif before != program:
                outcome.changed.append(program.uuid)
            else:
                outcome.unchanged += 1
        missing = [program_uuid for program_uuid in held if program_uuid not in listed_by_uuid]
        if delete:
            Program.objects.filter(uuid__in=missing).delete()
            outcome.removed = missing
        else:
            outcome.missing_kept = missing
        rewritten = outcome.added + outcome.changed
        recomposed = {uuid for uuid in outcome.changed if held[uuid].courses != listed_by_uuid[uuid].courses}
        for program_uuid in recomposed:
            composed_at[program_uuid] = copied_at
        Program.objects.filter(uuid__in=outcome.changed).delete()
        _write([listed_by_uuid[uuid] for uuid in rewritten], changed_at=copied_at, composed_at=composed_at)
        counting = outcome.added + [
            uuid for uuid in outcome.changed if uuid in recomposed or held[uuid].status != listed_by_uuid[uuid].status
        ]
        if counting:
            catalog_changed.send(sender=None, program_uuids=counting, copied_at=copied_at)
    return outcome


def _held() -> tuple[dict[uuid.UUID, ListedProgram], dict[uuid.UUID, datetime | None]]:
    """
    The catalog as PIE holds it, in the listing's form, and when each program's composition
    last changed (three queries whatever its size).
    """
    runs: dict[int, set[str]] = {}
    for course_id, run_key in ProgramRun.objects.values_list("course_id", "run_key"):
        runs.setdefault(course_id, set()).add(run_key)
    courses: dict[int, dict[str, frozenset[str]]] = {}
    for course_id, program_id, course_key in ProgramCourse.objects.values_list("id", "program_id", "course_key"):
        courses.setdefault(program_id, {})[course_key] = frozenset(runs.get(course_id, ()))
    held, composed_at = {}, {}
    for pk, program_uuid, title, status, composed in Program.objects.values_list(
        "id", "uuid", "title", "status", "composition_changed_at"
    ):
        held[program_uuid] = ListedProgram(uuid=program_uuid, title=title, status=status, courses=courses.get(pk, {}))
        composed_at[program_uuid] = composed
    return held, composed_at


def _write(programs: list[ListedProgram], *, changed_at: datetime, composed_at: dict) -> None:
    """
    Insert ``programs`` with their courses and runs (none of them is held), each with its
    ``composed_at`` time (none for a program first seen). Ids are read back by key: MySQL's
    bulk insert does not return them.
    """
    if not programs:
        return
    Program.objects.bulk_create(
        Program(
            uuid=program.uuid,
            title=program.title,
            status=program.status,
            changed_at=changed_at,
            composition_changed_at=composed_at.get(program.uuid),
        )
        for program in programs
    )
    program_ids = dict(Program.objects.filter(uuid__in=[p.uuid for p in programs]).values_list("uuid", "id"))
    ProgramCourse.objects.bulk_create(
        ProgramCourse(program_id=program_ids[program.uuid], course_key=course_key)
        for program in programs
        for course_key in program.courses
    )
    course_ids = {
        (program_id, course_key): pk
        for pk, program_id, course_key in ProgramCourse.objects.filter(program_id__in=program_ids.values()).values_list(
            "id", "program_id", "course_key"
        )
    }
    ProgramRun.objects.bulk_create(
        ProgramRun(course_id=course_ids[(program_ids[program.uuid], course_key)], run_key=run_key)
        for program in programs
        for course_key, run_keys in program.courses.items()
        for run_key in run_keys
    )
