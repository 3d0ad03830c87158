"""
The one-off clean-up of the course facts dated beyond the clock skew that PIE stored before
its doors refused them (``validation``): kept, such a fact dates in the future the
completions its learner's later facts make, which the intents refuse.
"""

from datetime import datetime

from django.db import transaction

from pie.apps.engagement.models import CourseFact
from pie.apps.engagement.validation import latest_fact_time


def forget_future_facts(*, now: datetime, dry_run: bool = False) -> list[CourseFact]:
    """
    Delete the course facts dated later than ``latest_fact_time(now)`` (nothing with
    ``dry_run``) and return them, by learner, run, kind and time. Running it again deletes
    nothing more, unless facts were stored beyond the skew since.
    """
    latest = latest_fact_time(now=now)
    with transaction.atomic():
        found = list(CourseFact.objects.filter(time__gt=latest).order_by("lms_user_id", "run_key", "kind", "time"))
        if found and not dry_run:
            CourseFact.objects.filter(pk__in=[fact.pk for fact in found]).delete()
    return found
