"""
PIE's one error shape, its error codes, and Django's error views.

Every error answer is JSON::

    {"detail": "a human message", "error_code": "stable_code", "errors": {"field": ["message", ...]}}

``errors`` appears only when the request's body or query was at fault. ``error_code`` is
one of ``ErrorCode``, the only place a code is written: clients may branch on it. The DRF
exception handler (``pie.apps.api.errors``) and everything answered outside DRF (the
views below, the middleware, the admin's sign-in) build their bodies here.
"""

import logging
import sys
from enum import StrEnum
from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

log = logging.getLogger(__name__)


class ErrorCode(StrEnum):
    """
    Every ``error_code`` PIE answers with; DRF's own codes keep DRF's names. The one other
    kind: a response that carries only a status PIE names no code for gets a code made of
    the status's standard phrase (``error_body_for_status``: 410 is ``gone``).
    """

    # The request as a whole.
    BAD_REQUEST = "bad_request"
    INVALID_REQUEST = "invalid_request"
    PARSE_ERROR = "parse_error"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    UNSUPPORTED_CHARSET = "unsupported_charset"
    NOT_ACCEPTABLE = "not_acceptable"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    REQUEST_TOO_LARGE = "request_too_large"
    LENGTH_REQUIRED = "length_required"
    TOO_MANY_INTENTS = "too_many_intents"
    THROTTLED = "throttled"
    # Who is calling.
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    CSRF_FAILED = "csrf_failed"
    MISSING_LMS_USER_ID = "missing_lms_user_id"
    FORBIDDEN_LMS_USER_ID = "forbidden_lms_user_id"
    STAFF_ONLY = "staff_only"
    # The domain's refusals.
    DUPLICATE_INTENT = "duplicate_intent"
    LEARNER_RETIRED = "learner_retired"
    # The admin's sign-in through the LMS.
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_CONFLICT = "sign_in_conflict"
    SIGN_IN_PROVIDER_ERROR = "sign_in_provider_error"
    SIGN_IN_NOT_CONFIGURED = "sign_in_not_configured"
    # The service.
    DATABASE_UNAVAILABLE = "database_unavailable"
    SERVER_ERROR = "server_error"


# The ``detail`` of an error answered with nothing more specific to say.
DETAILS = {
    ErrorCode.BAD_REQUEST: "The request could not be understood.",
    ErrorCode.NOT_AUTHENTICATED: "Authentication credentials were not provided or are not valid.",
    ErrorCode.PERMISSION_DENIED: "You do not have permission to do this.",
    ErrorCode.NOT_FOUND: "Not found.",
    ErrorCode.METHOD_NOT_ALLOWED: "This method is not allowed here.",
    ErrorCode.REQUEST_TOO_LARGE: "The request's body is too large.",
    ErrorCode.LENGTH_REQUIRED: "This server cannot read a chunked body: send Content-Length.",
    ErrorCode.DATABASE_UNAVAILABLE: "The database does not answer for now; try again in a moment.",
    ErrorCode.SERVER_ERROR: "The server failed to answer; the error has been logged.",
}

# The code of a response that has only a status.
_CODE_OF_STATUS = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.NOT_AUTHENTICATED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    500: ErrorCode.SERVER_ERROR,
}

# What a database that cannot be reached raises (refused, lost, timed out): the service
# is unavailable for a while, which the client should be told, not that its token is bad.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def error_body(*, detail: str, error_code: str, errors: dict | None = None) -> dict:
    """The error body: a human ``detail``, a stable ``error_code`` and, if any, per-field ``errors``."""
    body = {"detail": str(detail), "error_code": str(error_code)}
    if errors:
        body["errors"] = errors
    return body


def error_response(error_code: ErrorCode, *, status: int, detail: str | None = None) -> JsonResponse:
    """A JSON error answer: ``detail`` defaults to the code's own (``DETAILS``)."""
    return JsonResponse(error_body(detail=detail or DETAILS[error_code], error_code=error_code), status=status)


def error_body_for_status(status_code: int) -> dict:
    """
    The error body of a response that has only a status: its code's ``detail``, else the
    status's standard phrase, and a code made of it (``HTTPStatus(410)``: ``gone``).
    """
    code = _CODE_OF_STATUS.get(status_code)
    if code is not None:
        return error_body(detail=DETAILS[code], error_code=code)
    try:
        phrase = HTTPStatus(status_code).phrase
    except ValueError:
        phrase = "Client error" if status_code < 500 else "Server error"
    return error_body(detail=f"{phrase}.", error_code=phrase.lower().replace(" ", "_").replace("-", "_"))


def mark_database_unavailable(sender, request=None, **kwargs) -> None:
    """
    ``got_request_exception`` receiver: an exception outside DRF (in a middleware) that is
    a database outage marks the request, so that its answer is a 503, not a 500.
    """
    if request is not None and isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        request.pie_database_unavailable = True


# Django's error views (urls.py's handler400...) and CSRF failure view, so that no answer
# outside DRF is an HTML error page.


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        # Django's limits on a body (DATA_UPLOAD_MAX_MEMORY_SIZE): the body is too large, not unclear.
        return error_response(ErrorCode.REQUEST_TOO_LARGE, status=413)
    return error_response(ErrorCode.BAD_REQUEST, status=400)


def permission_denied(request, exception=None):
    return error_response(ErrorCode.PERMISSION_DENIED, status=403)


def page_not_found(request, exception=None):
    return error_response(ErrorCode.NOT_FOUND, status=404)


def server_error(request):
    if getattr(request, "pie_database_unavailable", False):
        return error_response(ErrorCode.DATABASE_UNAVAILABLE, status=503)
    return error_response(ErrorCode.SERVER_ERROR, status=500)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: Django's CSRF check refused a request outside DRF (the admin's forms)."""
    return error_response(ErrorCode.CSRF_FAILED, status=403, detail=f"CSRF Failed: {reason}")
