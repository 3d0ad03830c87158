"""
Admin pages of the event bus, for operators: the kept events waiting to be replayed, with an
action that replays the selected ones, and what the consumers last did.

The kept events are never edited here; the replay is ``recording.replay_failed_events``, the
same as ``manage.py replay_failed_events``, on the selected rows only. It takes the
``bus.replay_failedevent`` permission (staff given it, and superusers), and each use is
logged (the admin's history of each row, and one log line).
"""

import logging

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from pie.apps.bus.models import EventHandlingStatus, FailedEvent
from pie.apps.bus.recording import replay_failed_events
from pie.apps.core.admin import ReadOnlyAdmin

log = logging.getLogger(__name__)


@admin.register(FailedEvent)
class FailedEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "kind", "lms_user_id", "event_time", "attempts", "created")
    list_filter = ("kind", "event_type")
    fields = ("event_type", "event_id", "event_time", "kind", "lms_user_id", "values", "attempts", "error", "created")
    readonly_fields = fields
    ordering = ("-id",)
    list_per_page = 50
    actions = ["replay_selected"]

    def has_replay_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.has_perm("bus.replay_failedevent")

    @admin.action(permissions=["replay"], description="Replay the selected failed events")
    def replay_selected(self, request, queryset):
        ids = sorted(queryset.values_list("pk", flat=True))
        described = {event.pk: str(event) for event in FailedEvent.objects.filter(pk__in=ids)}
        result = replay_failed_events(ids=ids)
        summary = (
            f"{result.recorded} recorded, {result.already_recorded} already recorded, "
            f"{result.still_failing} still failing, {result.not_due} not due yet, {result.retired} of retired learners"
        )
        log.info("Staff user %s replayed failed events %s from the admin: %s", request.user.pk, ids, summary)
        content_type = ContentType.objects.get_for_model(FailedEvent).pk
        LogEntry.objects.bulk_create(
            LogEntry(
                user_id=request.user.pk,
                content_type_id=content_type,
                object_id=str(pk),
                object_repr=text[:200],
                action_flag=CHANGE,
                change_message=f"Replayed from the admin ({summary} of {len(ids)} selected).",
            )
            for pk, text in described.items()
        )
        level = messages.WARNING if result.still_failing else messages.SUCCESS
        self.message_user(request, f"Replayed {len(ids)} failed event(s): {summary}.", level)


@admin.register(EventHandlingStatus)
class EventHandlingStatusAdmin(ReadOnlyAdmin):
    list_display = ("event_type", "handled_count", "last_outcome", "last_event_time", "last_handled_at")
    ordering = ("event_type",)
