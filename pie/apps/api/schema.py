"""
drf-spectacular extensions: how the OpenAPI schema describes Open edX JWT authentication,
and edx-drf-extensions' CSRF token endpoint, which carries no schema of its own.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status

from pie.apps.api.errors import ErrorResponseSerializer


class EdxJwtAuthenticationScheme(OpenApiAuthenticationExtension):
    """The header ``Authorization: JWT <token>``: an API key, as OpenAPI's bearer scheme means "Bearer"."""

    target_class = "pie.apps.core.authentication.JwtAuthentication"
    name = "JwtAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "An Open edX JWT as the LMS issues it, sent as `JWT <token>`. Browsers may send the "
                "edX JWT cookie (edx-jwt-cookie-header-payload and edx-jwt-cookie-signature) instead."
            ),
        }


class CsrfTokenResponseSerializer(serializers.Serializer):
    csrfToken = serializers.CharField(help_text="Send it back as the X-CSRFToken header of a write.")


class CsrfTokenViewSchema(OpenApiViewExtension):
    """``GET /csrf/api/v1/token`` (edx-drf-extensions' ``csrf`` app), for the micro-frontends."""

    target_class = "csrf.api.v1.views.CsrfTokenView"

    def view_replacement(self):
        @extend_schema(
            summary="A CSRF token for writes authenticated by the edX JWT cookie",
            description=(
                "Also sets PIE's CSRF cookie. A micro-frontend sends the token back as X-CSRFToken "
                "with each POST it authenticates with the edX JWT cookie."
            ),
            auth=[],
            responses={
                status.HTTP_200_OK: CsrfTokenResponseSerializer,
                status.HTTP_401_UNAUTHORIZED: OpenApiResponse(
                    ErrorResponseSerializer, description="A JWT was sent and is not valid."
                ),
            },
        )
        class Documented(self.target_class):
            pass

        return Documented


def refuse_additional_properties_in_requests(result, generator, request, public):
    """
    Say in the schema what the API does: request bodies refuse unknown fields.

    A drf-spectacular postprocessing hook: marks each request component (named
    ``...Request``) ``additionalProperties: false``.
    """
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
