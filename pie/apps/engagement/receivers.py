"""The engagement app's receivers: each one call into ``services``."""

from django.dispatch import receiver

from pie.apps.core.retirement import learner_retired
from pie.apps.engagement import services


@receiver(learner_retired, dispatch_uid="pie.engagement.forget_learner")
def forget_retired_learner(sender, lms_user_id: int, **kwargs) -> None:
    services.forget_learner(lms_user_id)
