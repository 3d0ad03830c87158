"""``POST /api/v1/retire_user/``: the LMS retirement pipeline's call, a thin door to ``services.retire_learner``."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from edx_django_utils.monitoring import set_custom_attribute
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from pie.apps.api.errors import ErrorResponseSerializer
from pie.apps.api.negotiation import JsonOnlyNegotiation
from pie.apps.api.v1.callers import RemembersAllowedCallers
from pie.apps.api.v1.permissions import IsRetirementCaller
from pie.apps.api.v1.serializers import RetireUserRequestSerializer
from pie.apps.intents import services


class RetireUserView(RemembersAllowedCallers, APIView):
    """Delete everything PIE holds about a learner, and refuse their intents from then on."""

    content_negotiation_class = JsonOnlyNegotiation
    http_method_names = ["post", "options"]

    def get_permissions(self):
        return [*super().get_permissions(), IsRetirementCaller()]

    @extend_schema(
        operation_id="retire_user",
        summary="Retire a learner",
        description=(
            "Deletes every intent of the learner and PIE's local user for that LMS id (or, "
            "stored without one, for original_username), and refuses the learner from then on, "
            "on every write path, their local user included. Answers 204 also "
            "when PIE held nothing of the learner, so the retirement pipeline may retry. Only "
            "for the retirement service user (RETIREMENT_SERVICE_WORKER_USERNAME) or a "
            "superuser (a JWT whose superuser claim is true)."
        ),
        request=RetireUserRequestSerializer,
        responses={
            status.HTTP_204_NO_CONTENT: OpenApiResponse(description="The learner is retired."),
            status.HTTP_400_BAD_REQUEST: OpenApiResponse(ErrorResponseSerializer, description="No valid lms_user_id."),
            status.HTTP_401_UNAUTHORIZED: OpenApiResponse(ErrorResponseSerializer, description="No valid JWT."),
            status.HTTP_403_FORBIDDEN: OpenApiResponse(
                ErrorResponseSerializer, description="Neither the retirement service user nor a superuser."
            ),
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: ErrorResponseSerializer,
        },
    )
    def post(self, request):
        body = RetireUserRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.retire_learner(
            lms_user_id=body.validated_data["lms_user_id"], username=body.validated_data.get("original_username")
        )
        # .. custom_attribute_name: pie_retired_intents
        # .. custom_attribute_description: How many intents retiring a learner deleted.
        set_custom_attribute("pie_retired_intents", result.intents)
        return Response(status=status.HTTP_204_NO_CONTENT)
