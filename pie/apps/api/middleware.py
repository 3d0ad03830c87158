"""
The outermost middleware: whatever answered below it, an error response leaves as JSON.

Django's error views (``handler404``...) and ``CSRF_FAILURE_VIEW`` already answer in the
one error shape, but not everything goes through them: with ``DEBUG`` on, Django answers
an unknown URL or an exception with its HTML technical pages, and a DRF view asked for
``text/html`` renders its error through the browsable API. This middleware is the one
place that turns such a response into the error shape of ``pie.apps.api.errors``.
"""

import json

from django.http import JsonResponse

from pie.apps.api.errors import database_unavailable_body, error_body, error_body_for_status


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
            response.status_code, data = 503, database_unavailable_body()
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


class TextEncodingMiddleware:
    """
    Answer 400 to a request whose ``charset`` is a codec but not a text encoding, which
    ``pie.handlers.Request`` kept aside rather than decode with it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        charset = getattr(request, "refused_charset", None)
        if charset is not None:
            body = error_body(detail=f"{charset!r} is not a text encoding.", error_code="unsupported_charset")
            return JsonResponse(body, status=400)
        return self.get_response(request)
