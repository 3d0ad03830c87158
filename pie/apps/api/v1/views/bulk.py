"""
``POST /api/v1/program_intents/bulk/``: the warehouse pipeline's door (staff only), a thin
adapter of ``services.record_intents``. The body is read by ``parsers``, the answer shaped
by ``serializers.bulk_answer``.
"""

import logging

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from edx_django_utils.monitoring import set_custom_attribute
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.response import Response

from pie.apps.api.errors import ErrorResponseSerializer
from pie.apps.api.v1.parsers import BulkBody, BulkCsvParser, BulkJsonParser
from pie.apps.api.v1.permissions import IsStaffCaller
from pie.apps.api.v1.serializers import (
    ProgramIntentBulkRequestSerializer,
    ProgramIntentBulkResponseSerializer,
    bulk_answer,
)
from pie.apps.intents import services

log = logging.getLogger(__name__)


class RecordsIntentsInBulk:
    """The ``bulk`` action of the intents' viewset, and its permission: staff only."""

    def get_permissions(self):
        permissions = super().get_permissions()
        return [*permissions, IsStaffCaller()] if self.action == "bulk" else permissions

    @extend_schema(
        operation_id="program_intents_bulk",
        summary="Record many intents (staff only: the warehouse pipeline)",
        description=(
            "Records up to PIE_BULK_API_MAX_INTENTS intents (10,000 by default) through the same service "
            "as bulk_insert_intents: each item is checked, duplicates (of the database or of the body) are "
            "skipped and counted, a bad item is listed in rejected and never stops the others. The body is "
            'JSON {"intents": [...]} (every field required) or text/csv with the bulk report\'s columns '
            "(user_id, program_uuid, intent_reason, intent_certainty, effective_time; a header row), either "
            "optionally sent with Content-Encoding: gzip. The same body again creates nothing."
        ),
        request={
            "application/json": ProgramIntentBulkRequestSerializer,
            "text/csv": OpenApiTypes.STR,
        },
        examples=[
            OpenApiExample(
                "CSV",
                media_type="text/csv",
                request_only=True,
                value=(
                    "user_id,program_uuid,intent_reason,intent_certainty,effective_time\n"
                    "7,6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e,BUNDLE_PURCHASE,CERTAIN_YES,2022-07-01 00:00:00 Z\n"
                ),
            ),
        ],
        responses={
            status.HTTP_200_OK: ProgramIntentBulkResponseSerializer,
            status.HTTP_400_BAD_REQUEST: OpenApiResponse(
                ErrorResponseSerializer, description="Not a bulk body: bad JSON, no intents list, no CSV header."
            ),
            status.HTTP_401_UNAUTHORIZED: OpenApiResponse(ErrorResponseSerializer, description="No valid JWT."),
            status.HTTP_403_FORBIDDEN: OpenApiResponse(ErrorResponseSerializer, description="Not a staff token."),
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: OpenApiResponse(
                ErrorResponseSerializer,
                description="More intents (too_many_intents) or bytes (request_too_large) than one request may carry; "
                "nothing was written.",
            ),
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: OpenApiResponse(
                ErrorResponseSerializer, description="Another body type, charset or Content-Encoding."
            ),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk",
        url_name="bulk",
        parser_classes=[BulkJsonParser, BulkCsvParser],
    )
    def bulk(self, request):
        body = request.data
        if not isinstance(body, BulkBody):
            # DRF parses nothing without a body or a Content-Type.
            if not request.content_type:
                raise UnsupportedMediaType("", detail="Send Content-Type application/json or text/csv.")
            raise ParseError("The body is empty: send the intents.")
        result = services.record_intents(body.rows)
        answer = bulk_answer(body, result)
        # .. custom_attribute_name: pie_bulk_items
        # .. custom_attribute_description: How many intents (items or CSV records) a bulk request carried.
        set_custom_attribute("pie_bulk_items", body.items)
        # .. custom_attribute_name: pie_bulk_format
        # .. custom_attribute_description: The bulk request's body: json or csv.
        set_custom_attribute("pie_bulk_format", body.kind)
        # .. custom_attribute_name: pie_bulk_created
        # .. custom_attribute_description: How many intents a bulk request recorded.
        set_custom_attribute("pie_bulk_created", answer["created"])
        # .. custom_attribute_name: pie_bulk_duplicates
        # .. custom_attribute_description: How many intents of a bulk request were already recorded (or repeated).
        set_custom_attribute("pie_bulk_duplicates", answer["duplicates"])
        # .. custom_attribute_name: pie_bulk_rejected
        # .. custom_attribute_description: How many items of a bulk request were rejected.
        set_custom_attribute("pie_bulk_rejected", len(answer["rejected"]))
        log.info(
            "Bulk request (%s): %d items, created %d, duplicates %d, rejected %d",
            body.kind,
            body.items,
            answer["created"],
            answer["duplicates"],
            len(answer["rejected"]),
        )
        return Response(answer)
