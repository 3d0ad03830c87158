from django.apps import AppConfig


class IntentsConfig(AppConfig):
    name = "pie.apps.intents"
    label = "intents"
    verbose_name = "Program intents"

    def ready(self):
        # Connects the receivers of the Open edX events PIE listens to.
        from pie.apps.intents.signals import handlers  # noqa: F401
