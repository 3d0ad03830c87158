"""
A learner's course facts (per run: the enrollment and the passing state) and, per program,
whether each engagement rule was last found complete.

Each state carries its source time (an event's ``metadata.time``, a file row's time):
an older state never overwrites a newer one, so facts arriving in any order converge.
"""

from django.db import models

from pie.apps.core.lms import lms_user_id_field
from pie.apps.intents.constants import REASON_MAX_LENGTH, reason_choices


class FactKind(models.TextChoices):
    ENROLLMENT = "enrollment"
    PASSING = "passing"


class CourseFact(models.Model):
    """
    One state of a learner in a course run, as of its source time: an enrollment (active or
    not, its mode) or a passing state (passing or not). The states are kept, not overwritten:
    what holds now, and since when, is read from them in time order (``rules.run_states``),
    so states arriving in any order, twice, or late from a backfill give the same answer.

    .. pii: lms_user_id identifies a learner; their rows are deleted when the learner is
       retired (POST /api/v1/retire_user/).
    .. pii_types: id
    .. pii_retirement: local_api
    """

    lms_user_id = lms_user_id_field()
    run_key = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=FactKind.choices)
    # The source time of the state: an event's metadata.time, a file row's time.
    time = models.DateTimeField()
    # Enrollment: active or not; passing: passing or not.
    active = models.BooleanField()
    mode = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lms_user_id", "run_key", "kind", "time"], name="engagement_fact_unique")
        ]

    def __str__(self):
        return f"learner {self.lms_user_id} in {self.run_key}: {self.kind} {self.active} at {self.time}"


class ProgramRuleState(models.Model):
    """
    Whether a rule (its reason) was complete for a learner and program when last evaluated:
    an intent is recorded only when it goes from incomplete to complete.

    .. pii: lms_user_id identifies a learner; their rows are deleted when the learner is
       retired (POST /api/v1/retire_user/).
    .. pii_types: id
    .. pii_retirement: local_api
    """

    lms_user_id = lms_user_id_field()
    program_uuid = models.UUIDField()
    # The choices are read at run time, as ProgramIntent.reason's are: a new reason needs no migration.
    reason = models.CharField(max_length=REASON_MAX_LENGTH, choices=reason_choices)
    complete = models.BooleanField()
    # When, by the facts' own times, the rule was completed (null while incomplete).
    completed_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lms_user_id", "program_uuid", "reason"], name="engagement_rule_unique")
        ]

    def __str__(self):
        return f"learner {self.lms_user_id}, program {self.program_uuid}, {self.reason}: {self.complete}"


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
