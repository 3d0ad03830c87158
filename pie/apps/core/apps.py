from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pie.apps.core"
    label = "core"
    verbose_name = "Core"
