"""
The outermost middleware: whatever answered below it, an error response leaves as JSON.

Django's error views (``handler404``...) and ``CSRF_FAILURE_VIEW`` already answer in the
one error shape, but not everything goes through them: with ``DEBUG`` on, Django answers
an unknown URL or an exception with its HTML technical pages, and a DRF view asked for
``text/html`` renders its error through the browsable API. This middleware is the one
place that turns such a response into the error shape of ``pie.apps.core.errors``.
"""

import json

from pie.apps.core.errors import DETAILS, ErrorCode, error_body, error_body_for_status


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class JsonErrorMiddleware:
    """
    Rewrite, in place, an error response (status 400 or more) that is not JSON.

    A successful or JSON response costs one comparison. The rewritten body is the error
    shape for the status, or, for a DRF response, the error body DRF's exception handler
    already built (``response.data``). Headers are kept (CORS, ``Allow``,
    ``WWW-Authenticate``, cookies); only the body, its type and its length change.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or _is_json(response):
            return response
        data = getattr(response, "data", None)
        if getattr(request, "pie_database_unavailable", False):
            # DEBUG's page for a database outage outside DRF (errors.mark_database_unavailable).
            response.status_code = 503
            data = error_body(detail=DETAILS[ErrorCode.DATABASE_UNAVAILABLE], error_code=ErrorCode.DATABASE_UNAVAILABLE)
        body = data if isinstance(data, dict) and "error_code" in data else error_body_for_status(response.status_code)
        content = json.dumps(body).encode()
        if response.streaming:
            response.streaming_content = [content]
            del response["Content-Length"]
        else:
            response.content = content
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(content))
        response["Content-Type"] = "application/json"
        return response
