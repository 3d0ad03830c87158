"""
The program intent: an immutable record of our belief about a learner and a program.

Write through ``pie.apps.intents.services`` only; read rules live in ``selectors``.
"""

from django.db import models

from pie.apps.core.lms import lms_user_id_field
from pie.apps.intents.constants import (
    CERTAINTY_MAX_LENGTH,
    DEDUPLICATION_FIELDS,
    REASON_MAX_LENGTH,
    IntentCertainty,
    reason_choices,
)
from pie.apps.intents.exceptions import ImmutableIntentError


class ProgramIntentQuerySet(models.QuerySet):
    """A queryset that refuses bulk changes: intents are append-only."""

    def update(self, **kwargs):
        raise ImmutableIntentError("Program intents are immutable: record a new intent instead of updating one.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableIntentError("Program intents are immutable: record a new intent instead of updating one.")

    def bulk_create(self, objs, *args, update_conflicts=False, **kwargs):
        if update_conflicts:
            raise ImmutableIntentError("Program intents are immutable: a conflicting row is not updated.")
        return super().bulk_create(objs, *args, **kwargs)

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise ImmutableIntentError("Program intents are immutable: use services.record_intent.")

    def delete(self):
        raise ImmutableIntentError(
            "Program intents are not deleted; retiring a learner is the only exception and has its own service."
        )

    delete.queryset_only = True

    def _delete_for_retirement(self) -> int:
        """The one deletion intents allow: for ``services.retire_learner`` only. Returns how many."""
        deleted, _ = models.QuerySet.delete(self)
        return deleted

    _delete_for_retirement.queryset_only = True


class ProgramIntent(models.Model):
    """
    Our belief that a learner intends, or does not intend, to complete a program.

    An intent is a fact that happened: it is never modified. New knowledge is a new
    intent. ``effective_timestamp`` is when the underlying event happened; ``created``
    when PIE recorded it.

    .. pii: lms_user_id identifies a learner; all their intents are deleted when the learner
       is retired (POST /api/v1/retire_user/, services.retire_learner).
    .. pii_types: id
    .. pii_retirement: local_api
    """

    lms_user_id = lms_user_id_field()
    program_uuid = models.UUIDField(verbose_name="program UUID", help_text="The program's UUID.")
    reason = models.CharField(
        max_length=REASON_MAX_LENGTH,
        choices=reason_choices,
        help_text="Why we believe it.",
    )
    certainty = models.CharField(
        max_length=CERTAINTY_MAX_LENGTH,
        choices=IntentCertainty.choices,
        help_text="How sure we are.",
    )
    effective_timestamp = models.DateTimeField(help_text="When the event behind the reason happened.")
    created = models.DateTimeField(auto_now_add=True, help_text="When PIE recorded the intent.")

    objects = ProgramIntentQuerySet.as_manager()

    class Meta:
        constraints = [
            # Column order (constants.IntentKey) serves the main read as well as
            # de-duplication: one learner's intents, grouped by program, newest first.
            models.UniqueConstraint(fields=DEDUPLICATION_FIELDS, name="program_intent_unique"),
            models.CheckConstraint(
                condition=models.Q(certainty__in=IntentCertainty.values),
                name="program_intent_certainty_valid",
            ),
        ]
        indexes = [
            # The program reads (selectors.program_engagement, program_learners): one
            # program's learners, in learner order, which the unique key (learner first)
            # cannot find without reading the whole table.
            models.Index(fields=["program_uuid", "lms_user_id"], name="program_intent_by_program"),
        ]

    def __str__(self):
        return (
            f"{self.lms_user_id} / {self.program_uuid}: {self.certainty} "
            f"({self.reason} at {self.effective_timestamp:%Y-%m-%d %H:%M:%S%z})"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableIntentError(f"Program intent {self.pk} is immutable: record a new intent instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableIntentError(
            "Program intents are not deleted; retiring a learner is the only exception and has its own service."
        )
