"""A read-only admin for program intents: they are recorded by the service layer only."""

from django.contrib import admin

from pie.apps.core.admin import ReadOnlyAdmin
from pie.apps.core.lms import parse_lms_user_id
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.validation import parse_uuid


@admin.register(ProgramIntent)
class ProgramIntentAdmin(ReadOnlyAdmin):
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
        for field, parse in (("lms_user_id", parse_lms_user_id), ("program_uuid", parse_uuid)):
            try:
                return queryset.filter(**{field: parse(term)}), False
            except ValueError:
                continue
        return queryset.none(), False
