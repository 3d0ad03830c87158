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
    listing misses are removed only with ``delete``. A copy that changes nothing writes nothing;
    one that adds or changes programs sends ``signals.catalog_changed`` in its transaction.
    """
    outcome = CopyOutcome()
    with transaction.atomic():
        held = _held()
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
        Program.objects.filter(uuid__in=outcome.changed).delete()
        _write([listed_by_uuid[program_uuid] for program_uuid in rewritten], changed_at=copied_at)
        if rewritten:
            catalog_changed.send(sender=None, program_uuids=rewritten, copied_at=copied_at)
    return outcome


def _held() -> dict[uuid.UUID, ListedProgram]:
    """The catalog as PIE holds it, in the listing's form (three queries whatever its size)."""
    runs: dict[int, set[str]] = {}
    for course_id, run_key in ProgramRun.objects.values_list("course_id", "run_key"):
        runs.setdefault(course_id, set()).add(run_key)
    courses: dict[int, dict[str, frozenset[str]]] = {}
    for course_id, program_id, course_key in ProgramCourse.objects.values_list("id", "program_id", "course_key"):
        courses.setdefault(program_id, {})[course_key] = frozenset(runs.get(course_id, ()))
    return {
        program_uuid: ListedProgram(uuid=program_uuid, title=title, status=status, courses=courses.get(pk, {}))
        for pk, program_uuid, title, status in Program.objects.values_list("id", "uuid", "title", "status")
    }


def _write(programs: list[ListedProgram], *, changed_at: datetime) -> None:
    """
    Insert ``programs`` with their courses and runs (none of them is held). Ids are read
    back by key: MySQL's bulk insert does not return them.
    """
    if not programs:
        return
    Program.objects.bulk_create(
        Program(uuid=program.uuid, title=program.title, status=program.status, changed_at=changed_at)
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
