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

from pie.apps.core.cache import cache_answers_recently
from pie.apps.core.errors import DETAILS, ErrorCode, error_body
from pie.apps.core.replica import replica_state

log = logging.getLogger(__name__)

OK, UNAVAILABLE = "OK", "UNAVAILABLE"


class DetailedStatusSerializer(serializers.Serializer):
    database_status = serializers.ChoiceField(choices=[OK, UNAVAILABLE], help_text="The database's state.")
    cache_status = serializers.ChoiceField(
        choices=[OK, UNAVAILABLE], help_text="The shared cache's state; it never makes the answer a 503."
    )
    read_replica = serializers.DictField(
        required=False,
        help_text="Only with a read replica: its last known state (state, detail, behind_transactions, at), "
        "from the cache, never probed here; it never makes the answer a 503.",
    )


class HealthResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[OK, UNAVAILABLE], help_text="The database's state: the answer's.")
    cache = serializers.ChoiceField(choices=[OK, UNAVAILABLE], help_text="``detailed_status.cache_status``.")
    overall_status = serializers.ChoiceField(
        choices=[OK, UNAVAILABLE], help_text="The answer's state, as Open edX services name it: ``status``."
    )
    detailed_status = DetailedStatusSerializer(help_text="Each part's state (Open edX's ``detailed_status``).")


class HealthUnavailableResponseSerializer(HealthResponseSerializer):
    detail = serializers.CharField()
    error_code = serializers.ChoiceField(choices=[ErrorCode.DATABASE_UNAVAILABLE.value])


def _database_answers() -> bool:
    # A table of PIE's, read for nothing: the database answers and holds the schema (a
    # SQLite file that went missing is created again, empty, and still answers SELECT 1).
    table = connection.ops.quote_name(get_user_model()._meta.db_table)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE 1 = 0")
            cursor.fetchall()
    except DatabaseError:
        log.exception("Health check failed: the database did not answer.")
        return False
    return True


def _state(answers: bool) -> str:
    return OK if answers else UNAVAILABLE


def detailed_status() -> dict[str, bool]:
    """
    Whether each part PIE checks answers, by its ``detailed_status`` name: the one place a
    part is added (its field in ``DetailedStatusSerializer`` beside it). Only the database
    decides the answer; the event bus is never probed (web processes never connect to it).
    """
    return {"database_status": _database_answers(), "cache_status": cache_answers_recently()}


def health_body() -> tuple[bool, dict]:
    """Whether the database answers, and the body's state fields (PIE's and Open edX's)."""
    parts = detailed_status()
    healthy = parts["database_status"]
    detailed = {name: _state(answers) for name, answers in parts.items()}
    replica = replica_state()  # None without a replica: no entry
    if replica is not None:
        detailed["read_replica"] = replica
    return healthy, {
        "status": _state(healthy),
        "cache": _state(parts["cache_status"]),
        "overall_status": _state(healthy),
        "detailed_status": detailed,
    }


class HealthView(APIView):
    """
    ``GET /health/``: 200 ``{"status": "OK", "cache": ..., "overall_status": "OK",
    "detailed_status": {...}}`` when the database answers with PIE's schema, else 503, the
    error body ``database_unavailable`` with the same fields. ``cache`` is ``"OK"`` or
    ``"UNAVAILABLE"``: PIE works without its cache (ADR 18), so the cache alone never makes
    the answer a 503.
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
            status.HTTP_503_SERVICE_UNAVAILABLE: HealthUnavailableResponseSerializer,
        },
    )
    def get(self, request):
        healthy, body = health_body()
        if not healthy:
            code = ErrorCode.DATABASE_UNAVAILABLE
            body = {**error_body(detail=DETAILS[code], error_code=code), **body}
            return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(body)
