from django.apps import AppConfig


class EngagementConfig(AppConfig):
    """A learner's course facts, and the rules that make program intents of them."""

    name = "pie.apps.engagement"
    label = "engagement"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pie.apps.engagement import receivers  # noqa: F401 (connects the receivers)
