"""A read-only admin for program intents: they are recorded by the service layer only."""

from django.contrib import admin
from django.utils.html import format_html

from pie.apps.core.admin import ReadOnlyAdmin
from pie.apps.core.lms import parse_lms_user_id
from pie.apps.intents.models import ProgramIntent
from pie.apps.intents.validation import parse_uuid


def _code_and_prose(code: str, prose: str):
    """A choice as the API and the CSV write it (its code), with its words beside it."""
    return format_html('<code>{}</code><br><span class="help">{}</span>', code, prose)


@admin.register(ProgramIntent)
class ProgramIntentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "lms_user_id",
        "program_uuid",
        "reason_code",
        "certainty_code",
        "effective_timestamp",
        "created",
    )
    list_filter = ("reason", "certainty")
    fields = ("lms_user_id", "program_uuid", "reason_code", "certainty_code", "effective_timestamp", "created")
    readonly_fields = fields
    search_fields = ("lms_user_id", "program_uuid")
    search_help_text = "An LMS user ID, or a program UUID."
    ordering = ("-id",)  # the primary key: newest first without sorting the table
    show_full_result_count = False  # counting a table of millions of rows on every page is slow
    list_per_page = 50

    @admin.display(description="reason", ordering="reason")
    def reason_code(self, intent):
        return _code_and_prose(intent.reason, intent.get_reason_display())

    @admin.display(description="certainty", ordering="certainty")
    def certainty_code(self, intent):
        return _code_and_prose(intent.certainty, intent.get_certainty_display())

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
