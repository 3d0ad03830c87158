from django.apps import AppConfig


class IntentsConfig(AppConfig):
    name = "pie.apps.intents"
    label = "intents"
    verbose_name = "Program intents"

    def ready(self):
        from pie.apps.bus import registry
        from pie.apps.intents import events_to_intents
        from pie.apps.intents.signals import handlers  # noqa: F401  (connects the receivers)

        registry.register_kind(events_to_intents.KIND)
        registry.register_consumer(events_to_intents.CERTIFICATE_CONSUMER)
