"""Permissions of the v1 endpoints beyond the defaults (an authenticated, unrestricted caller)."""

from rest_framework.permissions import BasePermission

from pie.apps.api.errors import StaffOnly
from pie.apps.api.v1.callers import is_retirement_caller, is_staff_caller


class IsStaffCaller(BasePermission):
    """Staff only (a JWT with ``administrator: true``, or a staff session): a learner gets 403 ``staff_only``."""

    def has_permission(self, request, view) -> bool:
        if not is_staff_caller(request):
            raise StaffOnly()
        return True


class IsRetirementCaller(BasePermission):
    """The retirement service user or a superuser only (``callers.is_retirement_caller``): others get 403."""

    message = "Only the retirement service user or a superuser may retire learners."

    def has_permission(self, request, view) -> bool:
        return is_retirement_caller(request)
