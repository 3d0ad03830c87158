"""
A learner's course facts (per run: the enrollment and the passing state), the lock that
serialises a learner's writers, and the programs a catalog copy left to re-evaluate.

Each state carries its source time (an event's ``metadata.time``, a file row's time):
the rules walk a learner's states in that order, so facts arriving in any order give the
same history (ADR 26).
"""

from django.db import models

from pie.apps.core.fields import ExactKeyField
from pie.apps.core.lms import lms_user_id_field


class FactKind(models.TextChoices):
    ENROLLMENT = "enrollment"
    PASSING = "passing"


class CourseFact(models.Model):
    """
    One state of a learner in a course run, as of its source time: an enrollment (active or
    not, its mode) or a passing state (passing or not). The states are kept, not overwritten:
    the rules walk them in time order (``rules``), so states arriving in any order, twice, or
    late from a backfill give the same history. Two states of one run, kind and time that
    disagree are both kept (``active`` is part of the key); the rules apply a time's states
    together, the active one winning (ADR 26).

    .. pii: lms_user_id identifies a learner; their rows are deleted when the learner is
       retired (POST /api/v1/retire_user/).
    .. pii_types: id
    .. pii_retirement: local_api
    """

    lms_user_id = lms_user_id_field()
    run_key = ExactKeyField(max_length=255)
    # The course the run belongs to (org+course, by the catalog's run-key rule): how the
    # learners of a changed program are found, by index.
    course_key = ExactKeyField(max_length=255)
    kind = models.CharField(max_length=16, choices=FactKind.choices)
    # The source time of the state: an event's metadata.time, a file row's time.
    time = models.DateTimeField()
    # Enrollment: active or not; passing: passing or not.
    active = models.BooleanField()
    mode = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lms_user_id", "run_key", "kind", "time", "active"], name="engagement_fact_unique_state"
            )
        ]
        indexes = [models.Index(fields=["course_key", "lms_user_id"], name="engagement_fact_course")]

    def __str__(self):
        return f"learner {self.lms_user_id} in {self.run_key}: {self.kind} {self.active} at {self.time}"


class LearnerLock(models.Model):
    """
    One row per learner with facts, locked while a learner's fact is written and the learner
    evaluated, so that two writers cannot both miss a completion.

    .. pii: lms_user_id identifies a learner; the row is deleted when the learner is retired.
    .. pii_types: id
    .. pii_retirement: local_api
    """

    lms_user_id = lms_user_id_field(primary_key=True)

    def __str__(self):
        return f"learner {self.lms_user_id}"


class ProgramReevaluation(models.Model):
    """
    A program whose learners a catalog copy left to re-evaluate (it added the program or
    changed its courses or runs). Written in the copy's transaction, drained after it
    (``services.drain_reevaluations``), the learners in order: ``through_learner`` is the
    last learner done, so a drain that stops resumes where it stopped.

    .. pii: through_learner is an LMS user id, kept only as the drain's resume mark; the row
       is deleted when the program's learners are all re-evaluated.
    .. pii_types: id
    .. pii_retirement: retained
    """

    program_uuid = models.UUIDField(unique=True)
    queued_at = models.DateTimeField()
    through_learner = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"program {self.program_uuid}, learners after {self.through_learner}"
