from django.apps import AppConfig


class EngagementConfig(AppConfig):
    """A learner's course facts, and the rules that make program intents of them."""

    name = "pie.apps.engagement"
    label = "engagement"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pie.apps.engagement import events, receivers  # noqa: F401 (connects the receivers)
        from pie.apps.intents.events.recording import REPLAYERS
        from pie.apps.intents.models import FailedEvent

        REPLAYERS[FailedEvent.Kind.COURSE_FACT] = events.replay_course_fact
