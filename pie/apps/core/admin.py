from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from pie.apps.core.models import User


@admin.register(User)
class PieUserAdmin(UserAdmin):
    list_display = ("username", "lms_user_id", "email", "is_staff", "is_superuser")
    search_fields = ("username", "email", "lms_user_id")
    fieldsets = (*UserAdmin.fieldsets, ("LMS", {"fields": ("lms_user_id",)}))


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin that shows and never changes: for the tables only PIE's services write (intents, kept events)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
