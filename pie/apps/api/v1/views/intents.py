"""
``/api/v1/program_intents/``: a learner's intents, thin adapters that parse, call
``services`` or ``selectors``, and render (the bulk door is ``bulk``'s).

Errors are raised, never rendered here: ``pie.apps.api.errors`` turns them into the one
error shape.
"""

from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from edx_django_utils.monitoring import set_custom_attribute
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response
from rest_framework.viewsets import ViewSet

from pie.apps.api.errors import ErrorResponseSerializer, IntentAlreadyRecorded
from pie.apps.api.negotiation import JsonOnlyNegotiation
from pie.apps.api.v1.callers import RemembersAllowedCallers, lms_user_id_to_act_for
from pie.apps.api.v1.pagination import (
    DEFAULT_PAGE_SIZE,
    from_microseconds,
    invalid_cursor,
    microseconds,
    page_body,
    page_start,
)
from pie.apps.api.v1.serializers import (
    MostRecentAndCertainRequestSerializer,
    ProgramHistoryRequestSerializer,
    ProgramIntentCreateRequestSerializer,
    ProgramIntentPageSerializer,
    ProgramIntentResponseSerializer,
    intent_representation,
)
from pie.apps.api.v1.throttles import LearnerWriteThrottle
from pie.apps.api.v1.views.bulk import RecordsIntentsInBulk
from pie.apps.core import replica
from pie.apps.core.lms import MAX_LMS_USER_ID
from pie.apps.intents import selectors, services

_ERRORS = {
    status.HTTP_400_BAD_REQUEST: OpenApiResponse(ErrorResponseSerializer, description="Bad input, or a duplicate."),
    status.HTTP_401_UNAUTHORIZED: OpenApiResponse(ErrorResponseSerializer, description="No valid JWT."),
    status.HTTP_403_FORBIDDEN: OpenApiResponse(
        ErrorResponseSerializer, description="Acting for another learner without being staff, or no user_id claim."
    ),
}


class ProgramIntentViewSet(RecordsIntentsInBulk, RemembersAllowedCallers, ViewSet):
    """
    ``/api/v1/program_intents/``: record an intent (``create``), read a learner's history
    of one program (``list``) and their intents, one per program
    (``most_recent_and_certain``), and, for staff, record many (``bulk``, of
    ``RecordsIntentsInBulk``). There is no update or delete: intents are immutable.
    """

    content_negotiation_class = JsonOnlyNegotiation

    def initial(self, request, *args, **kwargs):
        # A method the route does not map (PUT, PATCH, DELETE...) is
        # refused before authentication: intents are immutable whoever asks, and the answer
        # reveals nothing about the caller's credentials.
        method = request.method.lower()
        if method not in self.action_map and method != "options":
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def get_throttles(self):
        # Only a learner's writes are throttled; reads cost no more than the learner's own rows.
        return [LearnerWriteThrottle()] if self.action == "create" else []

    @extend_schema(
        operation_id="program_intents_create",
        summary="Record a program intent",
        description=(
            "Records an intent for the caller, or, for staff, for the learner named by lms_user_id. "
            "An intent already recorded (same learner, program, reason, certainty and "
            "effective_timestamp) is a 400 with error_code duplicate_intent."
        ),
        request=ProgramIntentCreateRequestSerializer,
        responses={
            status.HTTP_201_CREATED: ProgramIntentResponseSerializer,
            **_ERRORS,
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: ErrorResponseSerializer,
            status.HTTP_429_TOO_MANY_REQUESTS: OpenApiResponse(
                ErrorResponseSerializer, description="A learner recorded too many intents of late (Retry-After)."
            ),
        },
    )
    def create(self, request):
        body = ProgramIntentCreateRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        lms_user_id, on_behalf = lms_user_id_to_act_for(request, requested=values.get("lms_user_id"))
        # .. custom_attribute_name: pie_intent_on_behalf
        # .. custom_attribute_description: True when staff recorded an intent for another learner.
        set_custom_attribute("pie_intent_on_behalf", on_behalf)
        intent, is_new = services.record_intent(**{**values, "lms_user_id": lms_user_id})
        # .. custom_attribute_name: pie_intent_created
        # .. custom_attribute_description: True for a new intent, False for a duplicate.
        set_custom_attribute("pie_intent_created", is_new)
        set_custom_attribute("pie_intent_reason", intent.reason)
        set_custom_attribute("pie_intent_certainty", intent.certainty)
        if not is_new:
            raise IntentAlreadyRecorded()
        replica.remember_write(lms_user_id)  # committed: their next reads see it (ADR 0030)
        return Response(intent_representation(intent), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="program_intents_list",
        summary="A learner's history of one program",
        description=(
            "Every intent of the learner for the program, newest first (effective_timestamp, then created, "
            "then id), in pages of DRF's cursor format. A learner reads their own; staff may name lms_user_id."
        ),
        parameters=[ProgramHistoryRequestSerializer],
        responses={status.HTTP_200_OK: ProgramIntentPageSerializer, **_ERRORS},
    )
    def list(self, request):
        query = ProgramHistoryRequestSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = dict(query.validated_data)
        lms_user_id, on_behalf = lms_user_id_to_act_for(request, requested=values.pop("lms_user_id", None))
        set_custom_attribute("pie_read_on_behalf", on_behalf)
        return Response(history_page(request, lms_user_id=lms_user_id, **values))

    @extend_schema(
        operation_id="program_intents_most_recent_and_certain",
        summary="The learner's most recent and certain intent per program",
        description=(
            "One intent per program, newest first: the latest CERTAIN_YES or CERTAIN_NO intent, "
            "or, where a program has none, the latest MAYBE."
        ),
        parameters=[
            OpenApiParameter(
                "program_uuid",
                type={"type": "array", "items": {"type": "string", "format": "uuid"}},
                explode=True,
                style="form",
                description="Limit the list to these programs (repeat the parameter).",
            ),
            OpenApiParameter(
                "lms_user_id",
                type={"type": "integer", "minimum": 1, "maximum": MAX_LMS_USER_ID},
                description="Staff only: read this learner's intents.",
            ),
        ],
        responses={status.HTTP_200_OK: ProgramIntentResponseSerializer(many=True), **_ERRORS},
    )
    @action(detail=False, methods=["get"], url_path="most_recent_and_certain", url_name="most_recent_and_certain")
    def most_recent_and_certain(self, request):
        query = {}
        if request.query_params:  # the dashboard's own call has none: nothing to check
            serializer = MostRecentAndCertainRequestSerializer(data=request.query_params)
            serializer.is_valid(raise_exception=True)
            query = serializer.validated_data
        lms_user_id, on_behalf = lms_user_id_to_act_for(request, requested=query.get("lms_user_id"))
        # .. custom_attribute_name: pie_read_on_behalf
        # .. custom_attribute_description: True when staff read another learner's intents.
        set_custom_attribute("pie_read_on_behalf", on_behalf)
        program_uuids = query.get("program_uuid")
        intents = replica.learner_read(
            lms_user_id,
            lambda using: selectors.most_recent_and_certain(
                lms_user_id=lms_user_id, program_uuids=program_uuids, using=using
            ),
        )
        # .. custom_attribute_name: pie_programs_requested
        # .. custom_attribute_description: How many program_uuid values the query named (0: all programs).
        set_custom_attribute("pie_programs_requested", len(program_uuids or ()))
        # .. custom_attribute_name: pie_programs_returned
        # .. custom_attribute_description: How many programs (intents) the answer lists.
        set_custom_attribute("pie_programs_returned", len(intents))
        return Response([intent_representation(intent) for intent in intents])


def history_page(
    request, *, lms_user_id: int, program_uuid: UUID, cursor: str | None = None, page_size: int = DEFAULT_PAGE_SIZE
) -> dict:
    """The page of ``GET /api/v1/program_intents/``: the learner's history of one program."""
    start, recorded_by = page_start(cursor, key_length=3)
    position = None
    if start is not None:
        try:
            at, made = from_microseconds(start.key[0]), from_microseconds(start.key[1])
        except ValueError:
            raise invalid_cursor() from None
        position = (at, made, start.key[2])
    rows, more = replica.learner_read(
        lms_user_id,
        lambda using: selectors.program_history(
            lms_user_id=lms_user_id,
            program_uuid=program_uuid,
            recorded_by=recorded_by,
            after=position if start is not None and not start.backwards else None,
            before=position if start is not None and start.backwards else None,
            limit=page_size,
            using=using,
        ),
    )
    return page_body(
        request,
        results=[intent_representation(row) for row in rows],
        recorded_by=recorded_by,
        start=start,
        more=more,
        key_of=lambda row: (
            microseconds(row["effective_timestamp"]),
            microseconds(row["created"]),
            row["id"],
        ),
    )
