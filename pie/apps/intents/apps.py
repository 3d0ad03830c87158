from django.apps import AppConfig


class IntentsConfig(AppConfig):
    name = "pie.apps.intents"
    label = "intents"
    verbose_name = "Program intents"
