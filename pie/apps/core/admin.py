"""
The admin site's branding, the users' admin page, and the read-only admin of the tables only
PIE's services write.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.urls import reverse_lazy

from pie.apps.core.models import User

admin.site.site_header = "PIE administration"
admin.site.site_title = "PIE administration"
# "View site": PIE's site for people is its API's documentation (the Swagger UI).
admin.site.site_url = reverse_lazy("api-docs")

# An object's long title (an intent's, a kept event's) keeps clear of the History button.
ADMIN_CSS = {"all": ["core/admin.css"]}


@admin.register(User)
class PieUserAdmin(UserAdmin):
    class Media:
        css = ADMIN_CSS

    list_display = ("username", "lms_user_id", "email", "is_staff", "is_superuser")
    search_fields = ("username", "email", "lms_user_id")
    fieldsets = (*UserAdmin.fieldsets, ("LMS", {"fields": ("lms_user_id",)}))


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin that shows and never changes: for the tables only PIE's services write (intents, kept events)."""

    class Media:
        css = ADMIN_CSS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
