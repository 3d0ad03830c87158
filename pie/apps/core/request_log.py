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

The middleware's "request_started" event is logged at DEBUG, below the configured level,
so it costs a method call that does nothing. Other logs (Django's, PIE's) go to standard
error through the standard library, as before.
"""

import json
import logging
import sys
import time

import orjson
import structlog
from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty
from django_structlog import signals
from django_structlog.middlewares.request import RequestMiddleware

_STARTED = "_pie_request_started"


def configure() -> None:
    """
    Send structlog's events (only the request log's) to standard output as JSON lines.

    Each line is written whole, its newline included, in one write (structlog's
    ``BytesLogger``): the workers of one gunicorn share the stream, and a line written in
    two parts (as ``print`` does, unbuffered) would interleave with another worker's.
    """
    level = logging.getLevelName(getattr(settings, "PIE_REQUEST_LOG_LEVEL", "INFO"))
    stdout = getattr(sys.stdout, "buffer", None)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=orjson.dumps if stdout else json.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.BytesLoggerFactory(stdout) if stdout else structlog.WriteLoggerFactory(sys.stdout),
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
