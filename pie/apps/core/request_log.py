"""
One log line per request on standard output, by django-structlog's ``RequestMiddleware``.

Each line is a JSON object::

    {"event": "request_finished", "request_id": "6f1c...", "method": "GET",
     "path": "/api/v1/program_intents/most_recent_and_certain/", "status": 200,
     "duration_ms": 4.21, "lms_user_id": 7, "level": "info", "timestamp": "2024-07-01T12:00:00.123456Z"}

``lms_user_id`` is the caller's LMS user id when the request named a user (a JWT, an admin
session), else null; the path has no query string. The request id is new for each request
(or the caller's ``X-Request-ID`` where ``PIE_TRUST_UPSTREAM_REQUEST_ID`` says a proxy in
front sets it) and is sent back in the ``X-Request-ID`` header. A request that raised has
one ``request_failed`` line instead, with the same fields and the traceback.

Every line, its newline included, is shorter than ``PIPE_BUF`` (4,096 bytes on Linux) and
is written in one ``write``: the workers of a gunicorn share standard output, and only so
short a write to a pipe is never split nor interleaved with another's, however slowly the
pipe is read (ADR 0019). A field longer than ``FIELD_CHARACTERS`` (a path) is cut, ending
in ``…``; a traceback keeps its tail (the innermost frames and the exception), beginning
with ``…``, in the room left.

The middleware's "request_started" event is logged at DEBUG, below the configured level,
so it costs a method call that does nothing; its "streaming_finished" (a streamed response,
such as a static file, sent to its end) is dropped, the request's line being written
already. Django's 4xx warnings and runserver's access line are silenced by ``LOGGING``.
Other logs (Django's, PIE's) go to standard error through the standard library, as before.
"""

import json
import logging
import os
import select
import sys
import time

import orjson
import structlog
from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty
from django_structlog import signals
from django_structlog.middlewares.request import RequestMiddleware

_STARTED = "_pie_request_started"


# The longest line, its newline included: a write of at most PIPE_BUF bytes to a pipe is
# atomic (POSIX), one byte less is a margin no reader needs to know about.
LINE_BYTES = min(select.PIPE_BUF, 4096) - 1
# The characters a field keeps (a path: gunicorn takes request lines of 8,190 bytes).
FIELD_CHARACTERS = 512
_CUT = "…"
_TRACEBACK = "exception"


def _dumps(event_dict: dict) -> bytes:
    try:
        return orjson.dumps(event_dict, default=str)
    except orjson.JSONEncodeError:  # what orjson does not write (an integer beyond 64 bits)
        return json.dumps(event_dict, default=str, ensure_ascii=False).encode()


_DROPPED = frozenset({"streaming_started", "streaming_finished"})


def drop_repeats(logger, method_name: str, event_dict: dict) -> dict:
    """Drop the middleware's lines that repeat the request's own (a streamed response's end)."""
    if event_dict.get("event") in _DROPPED:
        raise structlog.DropEvent
    return event_dict


def bounded_line(logger, method_name: str, event_dict: dict) -> bytes:
    """
    structlog's last processor: the event as one JSON line (no newline) shorter than
    ``LINE_BYTES``. Fields over ``FIELD_CHARACTERS`` are cut (their head kept), and the
    traceback keeps its tail; should the line still be too long, its longest text is cut
    again until it fits.
    """
    for name, value in event_dict.items():
        if type(value) is str and len(value) > FIELD_CHARACTERS and name != _TRACEBACK:
            event_dict[name] = value[: FIELD_CHARACTERS - 1] + _CUT
    line = _dumps(event_dict)
    while len(line) >= LINE_BYTES:
        texts = [name for name, value in event_dict.items() if type(value) is str and len(value) > len(_CUT)]
        if not texts:  # no text left to cut (never so for the request log's fields)
            return _dumps({"event": event_dict.get("event"), "level": event_dict.get("level"), "cut": True})
        name = max(texts, key=lambda text: len(event_dict[text]))
        value = event_dict[name]
        # Each character is at least one byte of the line, so cutting as many characters as
        # the line has bytes too many (and the mark) is enough, or nearly.
        keep = max(0, len(value) - (len(line) - LINE_BYTES + 1) - len(_CUT))
        event_dict[name] = (_CUT + value[len(value) - keep :]) if name == _TRACEBACK else (value[:keep] + _CUT)
        line = _dumps(event_dict)
    return line


class LineLogger:
    """
    structlog's logger: each line with its newline in one ``os.write`` on the stream's file
    descriptor (no buffer between that might split it); a stream without one (a test's
    capture) gets one ``write``.
    """

    def __init__(self, stream):
        self._stream = stream
        try:
            self._fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self._fd = None

    def msg(self, message: bytes) -> None:
        line = message + b"\n"
        if self._fd is None:
            self._stream.write(line.decode())
            self._stream.flush()
            return
        try:
            written = os.write(self._fd, line)
            while written < len(line):  # a file or a terminal: a pipe takes the short line whole
                written += os.write(self._fd, line[written:])
        except OSError:
            pass  # the reader is gone: a request does not fail for its log line

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def configure() -> None:
    """
    Send structlog's events (only the request log's) to standard output as JSON lines,
    each shorter than ``LINE_BYTES`` and written in one write (``LineLogger``).
    """
    level = logging.getLevelName(getattr(settings, "PIE_REQUEST_LOG_LEVEL", "INFO"))
    structlog.configure(
        processors=[
            drop_repeats,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            bounded_line,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=lambda *args: LineLogger(sys.stdout),
        cache_logger_on_first_use=True,
    )
    signals.bind_extra_request_metadata.connect(_started, sender=RequestMiddleware)
    signals.bind_extra_request_finished_metadata.connect(_finished, sender=RequestMiddleware)
    signals.bind_extra_request_failed_metadata.connect(_failed, sender=RequestMiddleware)


def _started(sender, request, logger, log_kwargs, **kwargs) -> None:
    setattr(request, _STARTED, time.perf_counter())


def _finished(sender, request, logger, response, log_kwargs, **kwargs) -> None:
    _replace(log_kwargs, request=request, status=response.status_code)
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        response["X-Request-ID"] = request_id


def _failed(sender, request, logger, exception, log_kwargs, **kwargs) -> None:
    _replace(log_kwargs, request=request, status=500)


def _replace(log_kwargs: dict, *, request, status: int) -> None:
    """The line's fields, in place of the middleware's ``request`` ("GET /path?query") and ``code``."""
    started = getattr(request, _STARTED, None)
    log_kwargs.clear()
    log_kwargs.update(
        method=request.method,
        path=request.path,
        status=status,
        duration_ms=None if started is None else round((time.perf_counter() - started) * 1000, 2),
        lms_user_id=_lms_user_id(request),
    )


def _lms_user_id(request) -> int | None:
    """The user's LMS id if the request already knows its user: never a query of its own."""
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None  # nothing asked who the user was (no session read, no token)
    return getattr(user, "lms_user_id", None)
