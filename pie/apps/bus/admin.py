"""
Read-only admin pages of the event bus, for operators: the kept events waiting to be replayed
(``manage.py replay_failed_events`` writes them) and what the consumers last did.
"""

from django.contrib import admin

from pie.apps.bus.models import EventHandlingStatus, FailedEvent


class _ReadOnly(admin.ModelAdmin):
    """The consumers and the replay write these tables; the admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FailedEvent)
class FailedEventAdmin(_ReadOnly):
    list_display = ("id", "event_type", "kind", "lms_user_id", "event_time", "attempts", "created")
    list_filter = ("kind", "event_type")
    ordering = ("-id",)
    list_per_page = 50


@admin.register(EventHandlingStatus)
class EventHandlingStatusAdmin(_ReadOnly):
    list_display = ("event_type", "handled_count", "last_outcome", "last_event_time", "last_handled_at")
    ordering = ("event_type",)
