"""
PIE's WSGI handler: Django's, with a request that refuses a charset it cannot decode.

Django takes any codec ``codecs.lookup`` knows as a request's encoding (``rot13``,
``zlib_codec``...), and building the request then decodes its query at once: a codec that
is not a text encoding, or a text codec whose decoder raises something Django does not
expect (``punycode`` and ``idna`` raise ``UnicodeError``), is a 500 before any middleware
runs. PIE's request takes only text encodings, and decodes nothing as it is built; another
codec is kept as ``refused_charset``. ``TextEncodingMiddleware`` answers 400 to that, and
to a charset that cannot decode the request's query or body, whatever its decoder raises
(an unknown name is ignored, as Django does).
"""

import codecs
from urllib.parse import unquote

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.utils.http import parse_header_parameters

from pie.apps.core.errors import ErrorCode, error_response

# Names of UTF-8, which decodes anything Django reads (with errors="replace"): no check.
_UTF_8 = frozenset({"utf-8", "utf8", "utf_8", "u8"})
_FORM = "application/x-www-form-urlencoded"


def is_text_encoding(name: str) -> bool:
    try:
        return codecs.lookup(name)._is_text_encoding
    except LookupError:
        return False


def decodes(data: bytes, charset: str) -> bool:
    """Whether ``charset`` decodes ``data``: a codec may raise anything (``UnicodeError``, ``TypeError``...)."""
    try:
        data.decode(charset)
    except Exception:  # whatever the codec raises, it cannot decode what was sent
        return False
    return True


def form_decodes(data: bytes, charset: str) -> bool:
    """
    Whether ``charset`` decodes a query string or a form body as Django's ``QueryDict``
    reads it: the text, then each percent-escaped name and value.
    """
    try:
        text = data.decode(charset)
        for name_value in text.split("&"):
            for part in name_value.split("=", 1):
                unquote(part.replace("+", " "), encoding=charset, errors="replace")
    except Exception:  # whatever the codec raises, it cannot decode what was sent
        return False
    return True


class Request(WSGIRequest):
    refused_charset: str | None = None

    def _set_content_type_params(self, meta):
        self.content_type, self.content_params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        charset = self.content_params.get("charset")
        if charset is None:
            return
        if is_text_encoding(charset):
            # Not the ``encoding`` setter: it decodes the query string at once.
            self._encoding = charset
        else:
            try:
                codecs.lookup(charset)
            except LookupError:
                return  # an unknown name: ignored, as Django ignores it
            self.refused_charset = charset


class Handler(WSGIHandler):
    request_class = Request


def _undecodable(request) -> bool:
    """Whether the request's charset (not UTF-8) cannot decode its query or its body."""
    charset = request.encoding
    query = request.META.get("QUERY_STRING", "").encode("latin-1")  # the bytes, as WSGI passes them
    if not form_decodes(query, charset):
        return True
    if request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower() not in ("", "identity"):
        return False  # a compressed body's charset is that of its text: the parser's to judge
    body = request.body
    return not (form_decodes if request.content_type == _FORM else decodes)(body, charset)


class TextEncodingMiddleware:
    """
    Answer 400 ``unsupported_charset`` to a request whose ``charset`` is a codec but not a
    text encoding, which ``Request`` kept aside, or that cannot decode the request's query
    or body. Only a charset other than UTF-8 is checked, and such a body is read whole here
    (within Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        charset = getattr(request, "refused_charset", None)
        if charset is not None:
            return error_response(
                ErrorCode.UNSUPPORTED_CHARSET, status=400, detail=f"{charset!r} is not a text encoding."
            )
        if request.encoding is not None and request.encoding.lower() not in _UTF_8 and _undecodable(request):
            return error_response(
                ErrorCode.UNSUPPORTED_CHARSET,
                status=400,
                detail=f"The request's query or body is not {request.encoding!r} text.",
            )
        return self.get_response(request)
