from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """PIE's copy of the program catalog: programs, their courses and the runs each counts."""

    name = "pie.apps.catalog"
    label = "catalog"
    default_auto_field = "django.db.models.BigAutoField"
