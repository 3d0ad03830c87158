"""
The one place exceptions raised in DRF views become HTTP errors, in the error shape of
``pie.apps.core.errors`` (which also holds the error codes and Django's error views).
"""

import logging

from rest_framework import exceptions, serializers, status

from pie.apps.core.errors import DATABASE_UNAVAILABLE, DETAILS, ErrorCode, error_body
from pie.apps.core.exceptions import InvalidValuesError, LearnerRetiredError

log = logging.getLogger(__name__)


class IntentAlreadyRecorded(exceptions.APIException):
    """The intent is already recorded: intents are de-duplicated, so this is the client's error."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "This intent is already recorded."
    default_code = ErrorCode.DUPLICATE_INTENT


class MissingLmsUserId(exceptions.PermissionDenied):
    """The caller's credentials name no LMS user, and the request needs one."""

    default_detail = "The token has no user_id claim, so it does not say which learner is calling."
    default_code = ErrorCode.MISSING_LMS_USER_ID


class ForbiddenLmsUserId(exceptions.PermissionDenied):
    """A learner asked to act on another learner's intents."""

    default_detail = "Learners may only read and record their own intents."
    default_code = ErrorCode.FORBIDDEN_LMS_USER_ID


class StaffOnly(exceptions.PermissionDenied):
    """A learner called an endpoint for staff (backend services) only."""

    default_detail = "Only staff (a token with administrator: true) may do this."
    default_code = ErrorCode.STAFF_ONLY


class RequestTooLarge(exceptions.APIException):
    """A body over the endpoint's limit on bytes (once decompressed)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = DETAILS[ErrorCode.REQUEST_TOO_LARGE]
    default_code = ErrorCode.REQUEST_TOO_LARGE


class TooManyIntents(exceptions.APIException):
    """A bulk request naming more intents than one request may."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Too many intents for one request."
    default_code = ErrorCode.TOO_MANY_INTENTS


def _messages(detail) -> list[str]:
    """Flatten DRF's nested error details (a list field's errors are keyed by item index)."""
    if isinstance(detail, dict):
        return [
            f"Item {key + 1}: {message}" if isinstance(key, int) else f"{key}: {message}"
            for key, value in detail.items()
            for message in _messages(value)
        ]
    if isinstance(detail, list):
        return [message for value in detail for message in _messages(value)]
    return [str(detail)]


def _field_errors(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(field): _messages(messages) for field, messages in detail.items()}
    return {"non_field_errors": _messages(detail)}


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = DETAILS[ErrorCode.DATABASE_UNAVAILABLE]
    default_code = ErrorCode.DATABASE_UNAVAILABLE


def api_exception_handler(exc, context):
    """
    DRF's ``EXCEPTION_HANDLER``: domain and DRF exceptions to the one error shape, and a
    database outage to a 503 (logged as the server fault it is).

    Anything else is left to propagate (``None``), so it is logged and monitored as a
    server error and answered by ``json_server_error``.
    """
    if isinstance(exc, DATABASE_UNAVAILABLE):
        log.error("The database does not answer: %s", exc, exc_info=exc)
        exc = DatabaseUnavailable()
    error_code = ErrorCode.INVALID_REQUEST
    if isinstance(exc, LearnerRetiredError):
        error_code = ErrorCode.LEARNER_RETIRED
    if isinstance(exc, InvalidValuesError):
        exc = exceptions.ValidationError(exc.errors)
    # Imported here: rest_framework.views reads the API settings as it loads, and they name
    # PIE's parsers, which raise this module's exceptions.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            detail="The request is not valid; see errors for each field at fault.",
            error_code=error_code,
            errors=_field_errors(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data.get("detail", "")
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = error_body(detail=detail, error_code=code)
    return response


class ErrorResponseSerializer(serializers.Serializer):
    """The error body, for the OpenAPI schema."""

    detail = serializers.CharField(help_text="What went wrong, for a human.")
    error_code = serializers.CharField(help_text="A stable code, such as duplicate_intent or invalid_request.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages for each field of the body or query at fault.",
    )
