from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pie.apps.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self):
        from django.core.signals import got_request_exception

        # Registers the drf-spectacular extension that documents the JWT security scheme.
        from pie.apps.api import schema  # noqa: F401
        from pie.apps.api.errors import mark_database_unavailable

        got_request_exception.connect(mark_database_unavailable, dispatch_uid="pie-database-unavailable")
