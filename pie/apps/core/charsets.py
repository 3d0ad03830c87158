"""
PIE's WSGI handler: Django's, with a request that refuses a charset it cannot decode.

Django takes any codec ``codecs.lookup`` knows as a request's encoding (``rot13``,
``zlib_codec``...), and building the request then fails decoding its query: a 500 before
any middleware runs. PIE's request takes only text encodings; another codec is kept as
``refused_charset`` for ``TextEncodingMiddleware`` to answer 400 (an unknown name is
ignored, as Django does).
"""

import codecs

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.utils.http import parse_header_parameters

from pie.apps.core.errors import ErrorCode, error_response


def is_text_encoding(name: str) -> bool:
    try:
        return codecs.lookup(name)._is_text_encoding
    except LookupError:
        return False


class Request(WSGIRequest):
    refused_charset: str | None = None

    def _set_content_type_params(self, meta):
        self.content_type, self.content_params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        charset = self.content_params.get("charset")
        if charset is None:
            return
        if is_text_encoding(charset):
            self.encoding = charset
        else:
            try:
                codecs.lookup(charset)
            except LookupError:
                return  # an unknown name: ignored, as Django ignores it
            self.refused_charset = charset


class Handler(WSGIHandler):
    request_class = Request


class TextEncodingMiddleware:
    """
    Answer 400 to a request whose ``charset`` is a codec but not a text encoding, which
    ``Request`` kept aside rather than decode with it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        charset = getattr(request, "refused_charset", None)
        if charset is not None:
            return error_response(
                ErrorCode.UNSUPPORTED_CHARSET, status=400, detail=f"{charset!r} is not a text encoding."
            )
        return self.get_response(request)
