from django.apps import AppConfig


class IntentsConfig(AppConfig):
    name = "pie.apps.intents"
    label = "intents"
    verbose_name = "Program intents"

    def ready(self):
        # Registers the app's system checks, and connects the receivers of the Open edX
        # events PIE listens to.
        from pie.apps.intents import checks  # noqa: F401
        from pie.apps.intents.signals import handlers  # noqa: F401
