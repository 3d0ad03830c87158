from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pie.apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from django.core.signals import got_request_exception

        # Registers the configuration checks (JWT, retirement salts).
        from pie.apps.core import checks, request_log  # noqa: F401  (checks: registered on import)
        from pie.apps.core.errors import mark_database_unavailable

        request_log.configure()
        got_request_exception.connect(mark_database_unavailable, dispatch_uid="pie-database-unavailable")
