"""The event bus's vocabulary: what became of an event, and the widths of its columns."""

from django.db import models


class EventOutcome(models.TextChoices):
    """What became of one event from the event bus (logged, counted, and shown to operators)."""

    RECORDED = "RECORDED", "Recorded what it maps to"
    DUPLICATE = "DUPLICATE", "What it maps to was already recorded"
    SKIPPED = "SKIPPED", "Refused (its values break a rule): logged and skipped"
    IGNORED = "IGNORED", "Maps to nothing by decision (a revoked certificate)"
    KEPT = "KEPT", "Kept in the failed-event store, to be replayed"
    FAILED = "FAILED", "Could be neither recorded nor kept: only the log holds it"


EVENT_OUTCOME_MAX_LENGTH = 16
# Event types are reverse-DNS names such as org.openedx.learning.program.certificate.awarded.v1.
EVENT_TYPE_MAX_LENGTH = 255
# The registry's kind names ("intent", "course_fact").
EVENT_KIND_MAX_LENGTH = 16
