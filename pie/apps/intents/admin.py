"""A read-only admin for program intents: they are recorded by the service layer only."""

import re
import uuid

from django.contrib import admin

from pie.apps.intents.models import ProgramIntent

# ASCII digits only: str.isdigit() also accepts characters such as "²" that int() refuses.
_LMS_USER_ID = re.compile(r"[0-9]{1,10}")


@admin.register(ProgramIntent)
class ProgramIntentAdmin(admin.ModelAdmin):
    list_display = ("id", "lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp", "created")
    list_filter = ("reason", "certainty")
    search_fields = ("lms_user_id", "program_uuid")
    search_help_text = "An LMS user id, or a program UUID."
    ordering = ("-id",)  # the primary key: newest first without sorting the table
    show_full_result_count = False  # counting a table of millions of rows on every page is slow
    list_per_page = 50

    def get_search_results(self, request, queryset, search_term):
        """Search by exact LMS user id or program UUID, so the search uses the indexes."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if _LMS_USER_ID.fullmatch(term):
            return queryset.filter(lms_user_id=int(term)), False
        try:
            return queryset.filter(program_uuid=uuid.UUID(term)), False
        except ValueError:
            return queryset.none(), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
