"""drf-spectacular extensions: how the OpenAPI schema describes Open edX JWT authentication."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
