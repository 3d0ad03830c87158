"""The health check that load balancers and the deployment pipeline call."""

import logging

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

log = logging.getLogger(__name__)


class HealthResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["OK", "UNAVAILABLE"])


class HealthView(APIView):
    """
    ``GET /health/``: 200 ``{"status": "OK"}`` when the database answers with PIE's schema,
    else 503 ``{"status": "UNAVAILABLE"}``.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    http_method_names = ["get", "head"]

    @extend_schema(
        summary="Is the service able to answer?",
        auth=[],
        responses={
            status.HTTP_200_OK: HealthResponseSerializer,
            status.HTTP_503_SERVICE_UNAVAILABLE: HealthResponseSerializer,
        },
    )
    def get(self, request):
        # A table of PIE's, read for nothing: the database answers and holds the schema (a
        # SQLite file that went missing is created again, empty, and still answers SELECT 1).
        table = connection.ops.quote_name(get_user_model()._meta.db_table)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT 1 FROM {table} WHERE 1 = 0")
                cursor.fetchall()
        except DatabaseError:
            log.exception("Health check failed: the database did not answer.")
            return Response({"status": "UNAVAILABLE"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"status": "OK"})
