from django.apps import AppConfig


class EngagementConfig(AppConfig):
    """A learner's course facts, and the rules that make program intents of them."""

    name = "pie.apps.engagement"
    label = "engagement"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pie.apps.bus import registry
        from pie.apps.engagement import events_to_facts
        from pie.apps.engagement.signals import handlers  # noqa: F401  (connects the receivers)

        registry.register_kind(events_to_facts.KIND)
        for consumer in events_to_facts.CONSUMERS:
            registry.register_consumer(consumer)
