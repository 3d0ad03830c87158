from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pie.apps.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self):
        # Registers the drf-spectacular extension that documents the JWT security scheme.
        from pie.apps.api import schema  # noqa: F401
