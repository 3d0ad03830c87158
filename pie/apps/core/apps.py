from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pie.apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        # Registers the JWT configuration checks.
        from pie.apps.core import checks, request_log  # noqa: F401  (checks: registered on import)

        request_log.configure()
