"""
The API's one error shape, and the one place exceptions become HTTP errors.

Every error body is JSON::

    {"detail": "a human message", "error_code": "stable_code", "errors": {"field": ["message", ...]}}

``errors`` appears only when the request's body or query was at fault. ``error_code`` is
stable: clients may branch on it. DRF's own codes are kept (``not_authenticated``,
``authentication_failed``, ``permission_denied``, ``not_found``, ``method_not_allowed``,
``parse_error``, ``unsupported_media_type``, ``not_acceptable``); PIE adds
``invalid_request``, ``duplicate_intent``, ``missing_lms_user_id``,
``forbidden_lms_user_id``, ``bad_request``, ``csrf_failed``, ``request_too_large``,
``too_many_intents``, ``staff_only`` and ``server_error``; an
error without a code of its own is named for its status (``error_body_for_status``).
"""

import logging
import sys
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

from pie.apps.intents.exceptions import InvalidIntentError, LearnerRetiredError

log = logging.getLogger(__name__)

INVALID_REQUEST = "invalid_request"
# A retired learner's intent, refused on every write path.
LEARNER_RETIRED = "learner_retired"


class IntentAlreadyRecorded(exceptions.APIException):
    """The intent is already recorded: intents are de-duplicated, so this is the client's error."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "This intent is already recorded."
    default_code = "duplicate_intent"


class MissingLmsUserId(exceptions.PermissionDenied):
    """The caller's credentials name no LMS user, and the request needs one."""

    default_detail = "The token has no user_id claim, so it does not say which learner is calling."
    default_code = "missing_lms_user_id"


class ForbiddenLmsUserId(exceptions.PermissionDenied):
    """A learner asked to act on another learner's intents."""

    default_detail = "Learners may only read and record their own intents."
    default_code = "forbidden_lms_user_id"


class StaffOnly(exceptions.PermissionDenied):
    """A learner called an endpoint for staff (backend services) only."""

    default_detail = "Only staff (a token with administrator: true) may do this."
    default_code = "staff_only"


class RequestTooLarge(exceptions.APIException):
    """A body over the endpoint's limit on bytes (once decompressed)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request's body is too large."
    default_code = "request_too_large"


class TooManyIntents(exceptions.APIException):
    """A bulk request naming more intents than one request may."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Too many intents for one request."
    default_code = "too_many_intents"


def error_body(*, detail: str, error_code: str, errors: dict | None = None) -> dict:
    """The error body: a human ``detail``, a stable ``error_code`` and, if any, per-field ``errors``."""
    body = {"detail": str(detail), "error_code": error_code}
    if errors:
        body["errors"] = errors
    return body


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


# What a database that cannot be reached raises (refused, lost, timed out): the service
# is unavailable for a while, which the client should be told, not that its token is bad.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database does not answer for now; try again in a moment."
    default_code = "database_unavailable"


def mark_database_unavailable(sender, request=None, **kwargs) -> None:
    """
    ``got_request_exception`` receiver: an exception outside DRF (in a middleware) that is
    a database outage marks the request, so that its answer is a 503, not a 500.
    """
    if request is not None and isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        request.pie_database_unavailable = True


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
    error_code = INVALID_REQUEST
    if isinstance(exc, LearnerRetiredError):
        error_code = LEARNER_RETIRED
    if isinstance(exc, InvalidIntentError):
        exc = exceptions.ValidationError(exc.errors)
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


# Errors answered outside DRF: Django's error views (urls.py's handler400...), its CSRF
# failure view, and the error pages that JsonErrorMiddleware rewrites (DEBUG's technical
# pages among them), so that no response is an HTML error page.

_ERRORS_BY_STATUS = {
    400: ("The request could not be understood.", "bad_request"),
    401: ("Authentication credentials were not provided or are not valid.", "not_authenticated"),
    403: ("You do not have permission to do this.", "permission_denied"),
    404: ("Not found.", "not_found"),
    405: ("This method is not allowed here.", "method_not_allowed"),
    500: ("The server failed to answer; the error has been logged.", "server_error"),
}


def error_body_for_status(status_code: int) -> dict:
    """
    The error body of a response that has only a status: its known ``detail`` and
    ``error_code``, else the status's standard phrase and a code made of it
    (``HTTPStatus(status_code)``, e.g. ``service_unavailable``).
    """
    if status_code in _ERRORS_BY_STATUS:
        detail, error_code = _ERRORS_BY_STATUS[status_code]
        return error_body(detail=detail, error_code=error_code)
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        phrase = "Client error" if status_code < 500 else "Server error"
    return error_body(detail=f"{phrase}.", error_code=phrase.lower().replace(" ", "_").replace("-", "_"))


def json_error_response(status_code: int) -> JsonResponse:
    return JsonResponse(error_body_for_status(status_code), status=status_code)


def json_bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        # Django's limits on a body (DATA_UPLOAD_MAX_MEMORY_SIZE): the body is too large, not unclear.
        return JsonResponse(
            error_body(detail="The request's body is too large.", error_code="request_too_large"), status=413
        )
    return json_error_response(400)


def json_permission_denied(request, exception=None):
    return json_error_response(403)


def json_page_not_found(request, exception=None):
    return json_error_response(404)


def json_server_error(request):
    if getattr(request, "pie_database_unavailable", False):
        return JsonResponse(database_unavailable_body(), status=503)
    return json_error_response(500)


def database_unavailable_body() -> dict:
    return error_body(detail=DatabaseUnavailable.default_detail, error_code=DatabaseUnavailable.default_code)


def json_csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: Django's CSRF check refused a request outside DRF (the admin's forms)."""
    return JsonResponse(error_body(detail=f"CSRF Failed: {reason}", error_code="csrf_failed"), status=403)
