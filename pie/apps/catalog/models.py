"""
PIE's copy of what each program contains, as course-discovery lists it.

A program has courses (a course key, ``org+course``); each course lists the runs that
this program counts (run keys): a program may leave some runs of a course out. The copy
is refreshed whole by ``manage.py copy_catalog`` (``services.replace_catalog``); nothing
else writes it.
"""

from django.db import models

from pie.apps.core.fields import ExactKeyField


class ProgramStatus(models.TextChoices):
    """A program's status in course-discovery (``COUNTED_STATUSES`` says which count: ADR 22)."""

    ACTIVE = "active"
    RETIRED = "retired"
    UNPUBLISHED = "unpublished"
    DELETED = "deleted"


# The statuses whose programs count a learner's courses (ADR 22).
COUNTED_STATUSES = (ProgramStatus.ACTIVE, ProgramStatus.RETIRED)


class Program(models.Model):
    """
    A program of the catalog, as the last copy that changed it saw it.

    .. no_pii: a program's identity, title and status.
    """

    uuid = models.UUIDField(unique=True)
    title = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=ProgramStatus.choices)
    # When a copy last added or changed the program (its title, status, courses or runs).
    changed_at = models.DateTimeField()
    # When a copy last changed its courses or runs (null: as first seen). A completion that
    # exists only because of that change is dated no earlier (ADR 26).
    composition_changed_at = models.DateTimeField(null=True)

    def __str__(self):
        return f"{self.title} ({self.uuid})"


class ProgramCourse(models.Model):
    """
    A course of a program, by its key (``org+course``, e.g. ``edX+DemoX``).

    .. no_pii: catalog structure.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="courses")
    course_key = ExactKeyField(max_length=255, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "course_key"], name="catalog_program_course_unique")]

    def __str__(self):
        return self.course_key


class ProgramRun(models.Model):
    """
    A run that a program counts for one of its courses (a run key, ``course-v1:org+course+run``).

    .. no_pii: catalog structure.
    """

    course = models.ForeignKey(ProgramCourse, on_delete=models.CASCADE, related_name="runs")
    run_key = ExactKeyField(max_length=255, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "run_key"], name="catalog_program_run_unique")]

    def __str__(self):
        return self.run_key
