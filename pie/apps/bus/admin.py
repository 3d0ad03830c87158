"""
Read-only admin pages of the event bus, for operators: the kept events waiting to be replayed
(``manage.py replay_failed_events`` writes them) and what the consumers last did.
"""

from django.contrib import admin

from pie.apps.bus.models import EventHandlingStatus, FailedEvent
from pie.apps.core.admin import ReadOnlyAdmin


@admin.register(FailedEvent)
class FailedEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "kind", "lms_user_id", "event_time", "attempts", "created")
    list_filter = ("kind", "event_type")
    ordering = ("-id",)
    list_per_page = 50


@admin.register(EventHandlingStatus)
class EventHandlingStatusAdmin(ReadOnlyAdmin):
    list_display = ("event_type", "handled_count", "last_outcome", "last_event_time", "last_handled_at")
    ordering = ("event_type",)
