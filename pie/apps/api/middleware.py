"""
A body sent without ``Content-Length`` (``Transfer-Encoding: chunked``, as streaming gzip
clients send it), read as one with a length.

Django reads at most ``CONTENT_LENGTH`` bytes of a body and DRF parses none without it:
a chunked body would look empty. gunicorn passes the body de-chunked and says so
(``wsgi.input_terminated``: reading the input ends at the body's end); this middleware
reads it, no further than the largest body PIE takes (Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` or the bulk endpoint's bound, whichever is larger), and
then gives the request the length it has, so that each endpoint's own bound applies as
to any body: a 413 past it. A server that does not pass a chunked body (Django's
development server) gets a 411: send ``Content-Length``.
"""

import io

from django.conf import settings

from pie.apps.api.v1.parsers import max_bytes
from pie.apps.core.errors import ErrorCode, error_response

_UNREADABLE = "The body could not be read to its end."


def _largest_body() -> int:
    return max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0, max_bytes())


class ChunkedBodyMiddleware:
    """Read a chunked body (bounded) and set its ``CONTENT_LENGTH``; 411 where the server cannot pass it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower() and not meta.get("CONTENT_LENGTH"):
            if not meta.get("wsgi.input_terminated"):
                return error_response(ErrorCode.LENGTH_REQUIRED, status=411)
            limit = _largest_body()
            try:
                body = meta["wsgi.input"].read(limit + 1)
            except OSError:
                return error_response(ErrorCode.BAD_REQUEST, status=400, detail=_UNREADABLE)
            if len(body) > limit:
                return error_response(
                    ErrorCode.REQUEST_TOO_LARGE, status=413, detail=f"The body is over {limit} bytes."
                )
            meta["CONTENT_LENGTH"] = str(len(body))
            request._stream = io.BytesIO(body)
        return self.get_response(request)
