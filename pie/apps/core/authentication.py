"""
PIE's JWT authentication: edx-drf-extensions' ``JwtAuthentication`` (the header, the edX
JWT cookie pair, CSRF for cookies, its monitoring), with the local user made by
``users.user_for_claims``.
"""

from django.db import DatabaseError
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication as EdxJwtAuthentication
from rest_framework import exceptions

from pie.apps.core.users import ClaimsRefused, UserConflict, user_for_claims


class JwtAuthentication(EdxJwtAuthentication):
    """
    ``JwtAuthentication`` whose user lookup refuses odd claims and costs one short query,
    and which lets a database outage through as such: the library turns any failure of a
    JWT cookie into "not authenticated" (a 401), which would tell the browser its token is
    bad while the database is down.
    """

    def authenticate(self, request):
        self._database_error = None
        result = super().authenticate(request)
        if self._database_error is not None:
            raise self._database_error
        return result

    def authenticate_credentials(self, payload):
        try:
            return user_for_claims(claims=payload, attribute_map=self.get_jwt_claim_attribute_map())
        except (ClaimsRefused, UserConflict) as error:
            raise exceptions.AuthenticationFailed(str(error)) from error
        except DatabaseError as error:
            self._database_error = error
            raise
