"""
``/api/v1/programs/{program_uuid}/``: the program-side reads, a program's engagement counts
and its learners (staff only).

Thin adapters: the read rules are ``selectors``', the pages' format ``pagination``'s.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from edx_django_utils.monitoring import set_custom_attribute
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet

from pie.apps.api.errors import ErrorResponseSerializer
from pie.apps.api.negotiation import JsonOnlyNegotiation
from pie.apps.api.v1.callers import RemembersAllowedCallers
from pie.apps.api.v1.pagination import DEFAULT_PAGE_SIZE, invalid_cursor, page_body, page_start
from pie.apps.api.v1.permissions import IsStaffCaller
from pie.apps.api.v1.serializers import (
    ProgramEngagementRequestSerializer,
    ProgramEngagementResponseSerializer,
    ProgramIntentPageSerializer,
    ProgramLearnersRequestSerializer,
    intent_representation,
    program_uuid_of_path,
)
from pie.apps.core import replica
from pie.apps.core.lms import is_lms_user_id
from pie.apps.intents import selectors

_PROGRAM = OpenApiParameter(
    "program_uuid",
    type={"type": "string", "format": "uuid"},
    location=OpenApiParameter.PATH,
    description="The program.",
)
_STAFF_ERRORS = {
    status.HTTP_400_BAD_REQUEST: OpenApiResponse(
        ErrorResponseSerializer, description="A malformed program UUID, parameter or cursor."
    ),
    status.HTTP_401_UNAUTHORIZED: OpenApiResponse(ErrorResponseSerializer, description="No valid JWT."),
    status.HTTP_403_FORBIDDEN: OpenApiResponse(ErrorResponseSerializer, description="Not staff."),
}


class ProgramViewSet(RemembersAllowedCallers, ViewSet):
    """``/api/v1/programs/{program_uuid}/``: who is engaged with a program (staff only)."""

    content_negotiation_class = JsonOnlyNegotiation
    lookup_field = "program_uuid"
    # Any segment: a malformed UUID is a 400 of the one error shape, not a 404.
    lookup_value_regex = "[^/]+"

    def get_permissions(self):
        return [*super().get_permissions(), IsStaffCaller()]

    @extend_schema(
        operation_id="programs_engagement",
        summary="How many learners a program has, by their current intent (staff only)",
        description=(
            "Each learner of the program counted once, by their current intent for it: the rule of "
            "most_recent_and_certain. With as_of, among the intents in effect then (effective_timestamp "
            "at or before it). Every certainty and reason is present, zeros too."
        ),
        parameters=[_PROGRAM, ProgramEngagementRequestSerializer],
        responses={status.HTTP_200_OK: ProgramEngagementResponseSerializer, **_STAFF_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="engagement", url_name="engagement")
    def engagement(self, request, program_uuid: str):
        program = program_uuid_of_path(program_uuid)
        query = ProgramEngagementRequestSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of")
        counts, behind, alias = replica.staff_read(
            lambda using: selectors.program_engagement(program_uuid=program, as_of=as_of, using=using)
        )
        # .. custom_attribute_name: pie_program_learners
        # .. custom_attribute_description: How many learners a program read counted or listed.
        set_custom_attribute("pie_program_learners", counts.learners)
        return Response(
            {
                "program_uuid": program,
                "learners": counts.learners,
                "by_certainty": counts.by_certainty,
                "by_reason": counts.by_reason,
                "as_of": as_of or timezone.now(),
            },
            headers=replica.lag_headers(alias, behind),
        )

    @extend_schema(
        operation_id="programs_learners",
        summary="A program's learners with their current intent (staff only)",
        description=(
            "One row per learner: their current intent for the program (the rule of most_recent_and_certain), "
            "in the order of LMS user ids, in pages of DRF's cursor format. The filters apply to the current "
            "intent. A walk through the pages reads the intents recorded (created) by its first page's time and "
            "committed when each page is read; it lists each learner at most once in one direction."
        ),
        parameters=[_PROGRAM, ProgramLearnersRequestSerializer],
        responses={status.HTTP_200_OK: ProgramIntentPageSerializer, **_STAFF_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="learners", url_name="learners")
    def learners(self, request, program_uuid: str):
        program = program_uuid_of_path(program_uuid)
        query = ProgramLearnersRequestSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        start, recorded_by = page_start(values.get("cursor"), key_length=1)
        if start is not None and not is_lms_user_id(start.key[0]):
            raise invalid_cursor()
        (rows, more), behind, alias = replica.staff_read(
            lambda using: selectors.program_learners(
                program_uuid=program,
                recorded_by=recorded_by,
                certainties=values.get("certainty", ()),
                reasons=values.get("reason", ()),
                after=None if start is None or start.backwards else start.key[0],
                before=start.key[0] if start is not None and start.backwards else None,
                limit=values.get("page_size", DEFAULT_PAGE_SIZE),
                using=using,
            )
        )
        set_custom_attribute("pie_program_learners", len(rows))
        return Response(
            page_body(
                request,
                results=[intent_representation(row) for row in rows],
                recorded_by=recorded_by,
                start=start,
                more=more,
                key_of=lambda row: (row["lms_user_id"],),
            ),
            headers=replica.lag_headers(alias, behind),
        )
