from django.apps import AppConfig


class BusConfig(AppConfig):
    """The event plumbing: the failed-event store, the consumers' status, retries and replays."""

    name = "pie.apps.bus"
    label = "bus"
    verbose_name = "Event bus"
    default_auto_field = "django.db.models.BigAutoField"
