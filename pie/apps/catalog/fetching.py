"""
The copy's HTTP, bounded: PIE's JWT from the LMS and one page of course-discovery at a time.

edx-rest-api-client's ``OAuthAPIClient`` does the talking: it gets the JWT with PIE's
backend-service client credentials and keeps it in the cache (edx-django-utils'
``TieredCache``) for the token's lifetime. Around it, PIE bounds each answer and the copy:

* every answer (the token, a page) must come whole, connection, headers and body, within
  ``Limits.answer_seconds``, and the whole read within ``Limits.copy_seconds``: the socket's
  timeout is per read, so a server sending a byte at a time would outlast it. The deadlines
  are kept with the process's interval timer (``SIGALRM``), so the read runs in the main
  thread, as ``manage.py`` runs it;
* a page is read up to ``Limits.max_page_bytes`` and no further, redirects are not followed;
* a server error (429, 500, 502, 503, 504), a failed connection or an answer out of time is
  asked again ``RETRIES`` times after a short back-off, or after the server's ``Retry-After``
  capped at ``Limits.max_retry_after_seconds`` (urllib3's own cap, ``retry_after_max``),
  each such wait said in one line;
* a token discovery refuses (401) is dropped from the cache and asked for again, once; a token
  that is not one (an odd ``expires_in``, a body that is not an object, a token with spaces
  or line breaks) is dropped too.

Everything that stops a read is a ``CatalogUnavailable`` whose message is one line.
"""

import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from edx_django_utils.cache import TieredCache
from edx_rest_api_client.client import OAuthAPIClient, _get_oauth_url
from urllib3.exceptions import InvalidHeader, NewConnectionError
from urllib3.util.retry import Retry

# Attempts after the first, for a page that failed with a server error or did not answer.
RETRIES = 3
BACKOFF_SECONDS = 0.2
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# edx-rest-api-client 7.1.0's cache key for a client-credentials JWT (private to it: the
# version is pinned in requirements/constraints.txt, and a test checks the key is the one used).
TOKEN_CACHE_KEY = "edx_rest_api_client.access_token.jwt.client_credentials.{client_id}.{oauth_url}"
# A JWT is three base64url parts; any visible ASCII without spaces passes, nothing that could
# break the Authorization header.
TOKEN_SHAPE = re.compile(r"[\x21-\x7e]{1,8192}")


class CatalogUnavailable(Exception):
    """The catalog could not be read whole (discovery or the LMS failed, or the listing is malformed)."""


class AnswerTimedOut(CatalogUnavailable):
    """An answer did not come whole within its deadline (the copy may still have time to ask again)."""


class _OutOfTime(BaseException):
    """Raised by the interval timer inside the HTTP libraries (a BaseException: none of them catches it)."""


@dataclass(frozen=True)
class Limits:
    """The bounds of one copy (``PIE_CATALOG_*`` settings)."""

    answer_seconds: float
    copy_seconds: float
    max_pages: int
    max_page_bytes: int
    max_retry_after_seconds: float


class Client(OAuthAPIClient):
    """An ``OAuthAPIClient`` that knows where its token is cached, to drop a refused one."""

    def __init__(self, *, provider_url: str, client_id: str, client_secret: str, timeout: float):
        super().__init__(provider_url, client_id, client_secret, timeout=(timeout, timeout))
        self.token_cache_key = TOKEN_CACHE_KEY.format(client_id=client_id, oauth_url=_get_oauth_url(provider_url))

    def drop_token(self) -> None:
        TieredCache.delete_all_tiers(self.token_cache_key)
        self.auth.token = None


class Clock:
    """The copy's deadline, and each answer's within it."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.ends = time.monotonic() + limits.copy_seconds
        self._armed = False

    def out_of_time(self) -> str:
        return f"the copy did not finish within {self.limits.copy_seconds:g} s (PIE_CATALOG_COPY_TIMEOUT_SECONDS)"

    def check(self) -> None:
        if time.monotonic() >= self.ends:
            raise CatalogUnavailable(self.out_of_time())

    @contextmanager
    def answer(self, failed: str) -> Iterator[None]:
        """
        Run the block within the answer's deadline and the copy's; out of time, the block is
        interrupted: ``AnswerTimedOut`` says ``failed``, or ``CatalogUnavailable`` that the copy ran out.
        """
        if threading.current_thread() is not threading.main_thread():
            raise CatalogUnavailable("the catalog is copied from the main thread only (its deadlines use SIGALRM)")
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise CatalogUnavailable(self.out_of_time())
        previous = signal.signal(signal.SIGALRM, self._interrupt)
        try:
            try:
                self._armed = True
                signal.setitimer(signal.ITIMER_REAL, min(remaining, self.limits.answer_seconds))
                yield
            finally:
                # Disarmed first: a signal handled from here on raises nothing.
                self._armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _OutOfTime:
            if remaining <= self.limits.answer_seconds:
                raise CatalogUnavailable(self.out_of_time()) from None
            raise AnswerTimedOut(
                f"{failed}: no answer within the timeout ({self.limits.answer_seconds:g} s an answer)"
            ) from None
        finally:
            signal.signal(signal.SIGALRM, previous)

    def _interrupt(self, signum, frame) -> None:
        if self._armed:
            raise _OutOfTime

    def wait(self, seconds: float) -> None:
        if time.monotonic() + seconds >= self.ends:
            raise CatalogUnavailable(self.out_of_time())
        time.sleep(seconds)


def authenticate(session: Client, clock: Clock) -> None:
    """Get the JWT (from the cache or the LMS) before any page, so that a refusal is blamed on the LMS."""
    failed = "the LMS gave no access token for PIE's client credentials"
    try:
        with clock.answer(failed):
            token = session.get_jwt_access_token()
    except requests.RequestException as error:
        session.drop_token()
        status = f" (HTTP {error.response.status_code})" if error.response is not None else ""
        raise CatalogUnavailable(f"{failed}: {_reason(error)}{status}") from error
    except (TypeError, ValueError, OverflowError) as error:
        # An expires_in that is not a number of seconds, a body that is not an object.
        session.drop_token()
        raise CatalogUnavailable(f"{failed}: an answer that is not a token") from error
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        session.drop_token()
        raise CatalogUnavailable(f"{failed}: an answer that is not a token")


def page(session: Client, url: str, *, clock: Clock, on_wait: Callable[[str], None] | None = None) -> dict:
    """
    A page of discovery at ``url``, as a JSON object, asked again on a server error, a failed
    connection or a timeout (``RETRIES`` times) and once more with a new token on a 401.
    """
    attempts, asked_again = 0, False
    while True:
        clock.check()
        authenticate(session, clock)
        failed = f"course-discovery could not be read at {url}"
        try:
            with clock.answer(failed):
                status, headers, body, answered_url = _answer(session, url, clock.limits)
        except requests.RequestException as error:
            if attempts == RETRIES:
                raise CatalogUnavailable(f"{failed}: {_reason(error)}") from error
        except AnswerTimedOut:
            if attempts == RETRIES:
                raise
        else:
            if status == 200:
                return _json_object(body, url=answered_url)
            if status == 401 and not asked_again:
                # The token may have been revoked or the LMS's keys rotated: ask for a new one, once.
                session.drop_token()
                asked_again = True
                continue
            if status == 401:
                session.drop_token()
            if status not in RETRY_STATUSES or attempts == RETRIES:
                raise CatalogUnavailable(f"course-discovery answered {status} to GET {answered_url}")
            retry_after = _retry_after(headers, clock.limits)
            if retry_after is not None and on_wait is not None:
                asked, waited = retry_after
                on_wait(
                    f"course-discovery answered {status} to GET {answered_url}: Retry-After {asked:g} s, "
                    f"waiting {waited:g} s (PIE_CATALOG_MAX_RETRY_AFTER_SECONDS)"
                )
            clock.wait(retry_after[1] if retry_after is not None else BACKOFF_SECONDS * 2**attempts)
            attempts += 1
            continue
        clock.wait(BACKOFF_SECONDS * 2**attempts)
        attempts += 1


def _answer(session: Client, url: str, limits: Limits) -> tuple[int, dict, bytes, str]:
    """One GET: its status, headers and body (a 200's only, at most ``max_page_bytes``)."""
    timeout = (limits.answer_seconds, limits.answer_seconds)
    with session.get(url, timeout=timeout, stream=True, allow_redirects=False) as response:
        if response.status_code != 200:
            return response.status_code, response.headers, b"", response.url
        too_large = CatalogUnavailable(
            f"course-discovery's answer to GET {response.url} is larger than {limits.max_page_bytes} bytes "
            "(PIE_CATALOG_MAX_PAGE_BYTES)"
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limits.max_page_bytes:
            raise too_large
        chunks, size = [], 0
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > limits.max_page_bytes:
                raise too_large
            chunks.append(chunk)
        return 200, response.headers, b"".join(chunks), response.url


def _json_object(body: bytes, *, url: str) -> dict:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        # Not JSON, not UTF-8, or nested deeper than Python's parser goes.
        raise CatalogUnavailable(f"course-discovery's answer to GET {url} is not JSON") from None
    if not isinstance(parsed, dict):
        raise CatalogUnavailable(f"course-discovery's answer to GET {url} is not a listing")
    return parsed


def _retry_after(headers, limits: Limits) -> tuple[float, float] | None:
    """The wait a ``Retry-After`` asks for and the one PIE keeps (urllib3's parser and cap), if it is readable."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        asked = Retry(retry_after_max=float("inf")).parse_retry_after(value)
    except InvalidHeader:
        return None
    return asked, Retry(retry_after_max=limits.max_retry_after_seconds).parse_retry_after(value)


def _reason(error: requests.RequestException) -> str:
    """The error in a few words, on one line (urllib3's messages nest the whole retry history)."""
    last = getattr(error.args[0], "reason", None) if error.args else None
    if isinstance(error, requests.ReadTimeout):
        return "no answer within the timeout"
    if isinstance(last, NewConnectionError) or isinstance(error.args[0] if error.args else None, NewConnectionError):
        return "the connection was refused"
    if isinstance(error, requests.ConnectTimeout):
        return "no connection within the timeout"
    if isinstance(error, requests.ConnectionError):
        return "the connection failed"
    if isinstance(error, requests.HTTPError):
        return "refused"
    return "an answer that is not a token" if error.response is not None else type(error).__name__
