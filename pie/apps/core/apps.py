from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pie.apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        # Registers the JWT configuration checks.
        from pie.apps.core import checks  # noqa: F401
