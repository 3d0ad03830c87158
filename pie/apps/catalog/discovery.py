"""
Reading the program catalog from course-discovery, as the credentials service does.

``GET {COURSE_CATALOG_API_URL}programs/?exclude_utm=1&page_size=N``, page after page by
``next``, through edx-rest-api-client's ``OAuthAPIClient``: it gets (and renews) a JWT from
the LMS with PIE's backend-service client credentials. Every request has its own timeout
(the client's covers only the token request); a page that fails with a server error or a
timeout is retried a few times (urllib3's ``Retry``), then the whole read fails with
``CatalogUnavailable``, whose message is one line. A listing that is not of the expected
shape fails the same way: a copy is all or nothing.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import requests
from edx_rest_api_client.client import OAuthAPIClient
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from pie.apps.catalog.models import ProgramStatus
from pie.apps.catalog.run_keys import RUN_KEY_RULE, is_countable_run_key

# Attempts after the first, for a page that failed with a server error or did not answer.
RETRIES = 3


class CatalogUnavailable(Exception):
    """The catalog could not be read whole (discovery or the LMS failed, or the listing is malformed)."""


@dataclass(frozen=True)
class ListedProgram:
    """A program as discovery lists it: its courses, each with the run keys this program counts."""

    uuid: uuid.UUID
    title: str
    status: str
    courses: dict[str, frozenset[str]]


def client(*, provider_url: str, client_id: str, client_secret: str, timeout: float) -> OAuthAPIClient:
    """An ``OAuthAPIClient`` whose GETs are retried on server errors and timeouts."""
    session = OAuthAPIClient(provider_url, client_id, client_secret, timeout=(timeout, timeout))
    retry = Retry(
        total=RETRIES,
        backoff_factor=0.2,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
    )
    for prefix in ("http://", "https://"):
        session.mount(prefix, HTTPAdapter(max_retries=retry))
    return session


def listed_programs(
    session: requests.Session,
    *,
    api_url: str,
    page_size: int,
    timeout: float,
    on_page: Callable[[int, int, int | None], None] | None = None,
) -> list[ListedProgram]:
    """
    Every program of discovery's listing, read page by page; ``on_page(page, programs read,
    count listed)`` after each. Raises ``CatalogUnavailable`` (one line) if any of it fails.
    """
    url: str | None = api_url.rstrip("/") + "/programs/"
    params: dict | None = {"exclude_utm": 1, "page_size": page_size}
    programs: dict[uuid.UUID, ListedProgram] = {}
    _authenticate(session)
    page = 0
    while url:
        body = _page(session, url, params=params, timeout=timeout)
        page += 1
        results, url, params = body.get("results"), body.get("next"), None
        if not isinstance(results, list) or not (url is None or isinstance(url, str)):
            raise CatalogUnavailable(f"course-discovery's page {page} is not a listing (no results list or next link).")
        for item in results:
            program = _program(item, page=page)
            programs[program.uuid] = program
        if on_page is not None:
            on_page(page, len(programs), body.get("count") if isinstance(body.get("count"), int) else None)
    return list(programs.values())


def _authenticate(session: requests.Session) -> None:
    """Get the JWT first, so that a refusal is blamed on the LMS, not on discovery."""
    try:
        session.get_jwt_access_token()
    except requests.RequestException as error:
        status = f" (HTTP {error.response.status_code})" if error.response is not None else ""
        raise CatalogUnavailable(
            f"the LMS gave no access token for PIE's client credentials: {_reason(error)}{status}"
        ) from error


def _page(session: requests.Session, url: str, *, params: dict | None, timeout: float) -> dict:
    try:
        response = session.get(url, params=params, timeout=timeout)
    except requests.RequestException as error:
        # A token the LMS would not give, a connection refused, a timeout on every attempt.
        raise CatalogUnavailable(f"course-discovery could not be read at {url}: {_reason(error)}") from error
    if response.status_code != 200:
        raise CatalogUnavailable(f"course-discovery answered {response.status_code} to GET {response.url}")
    try:
        body = response.json()
    except ValueError as error:
        raise CatalogUnavailable(f"course-discovery's answer to GET {response.url} is not JSON") from error
    if not isinstance(body, dict):
        raise CatalogUnavailable(f"course-discovery's answer to GET {response.url} is not a listing")
    return body


def _reason(error: requests.RequestException) -> str:
    """The error in a few words, on one line (urllib3's messages nest the whole retry history)."""
    # After the last retry, requests raises ConnectionError around urllib3's MaxRetryError,
    # whose ``reason`` is the last attempt's error.
    last = getattr(error.args[0], "reason", None) if error.args else None
    if isinstance(error, requests.ReadTimeout) or isinstance(last, ReadTimeoutError):
        return "no answer within the timeout"
    if isinstance(last, NewConnectionError):
        return "the connection was refused"
    if isinstance(error, requests.ConnectTimeout) or isinstance(last, ConnectTimeoutError):
        return "no connection within the timeout"
    if isinstance(error, requests.ConnectionError):
        return "the connection failed"
    if isinstance(error, requests.HTTPError):
        return "refused"
    return "an answer that is not a token" if error.response is not None else type(error).__name__


def _program(item, *, page: int) -> ListedProgram:
    """A listed program, checked; ``CatalogUnavailable`` naming it if it is not of the expected shape."""
    if not isinstance(item, dict):
        raise CatalogUnavailable(f"course-discovery's page {page} lists something that is not a program")
    try:
        program_uuid = uuid.UUID(str(item.get("uuid")))
    except ValueError:
        raise CatalogUnavailable(f"course-discovery's page {page} lists a program without a valid uuid") from None
    title, status, courses = item.get("title"), item.get("status"), item.get("courses")
    if not isinstance(title, str) or not 0 < len(title) <= 255:
        raise CatalogUnavailable(f"program {program_uuid}: its title is missing or too long")
    if status not in ProgramStatus.values:
        raise CatalogUnavailable(f"program {program_uuid}: status {status!r} is not one PIE knows")
    if not isinstance(courses, list):
        raise CatalogUnavailable(f"program {program_uuid}: its courses are not a list")
    runs_of_course: dict[str, set[str]] = {}
    for course in courses:
        key = course.get("key") if isinstance(course, dict) else None
        runs = course.get("course_runs", []) if isinstance(course, dict) else None
        if not isinstance(key, str) or not 0 < len(key) <= 255 or not isinstance(runs, list):
            raise CatalogUnavailable(f"program {program_uuid}: a course without a key or a list of runs")
        runs_of_course.setdefault(key, set()).update(_run_key(run, program_uuid) for run in runs)
    return ListedProgram(
        uuid=program_uuid,
        title=title,
        status=status,
        courses={key: frozenset(runs) for key, runs in runs_of_course.items()},
    )


def _run_key(run, program_uuid: uuid.UUID) -> str:
    """A listed run's key, if it is one that can count (``run_keys``): a CCX or library key stops the copy."""
    key = run.get("key") if isinstance(run, dict) else None
    if not is_countable_run_key(key):
        shown = f"{key[:40]!r}..." if isinstance(key, str) and len(key) > 40 else repr(key)
        raise CatalogUnavailable(f"program {program_uuid}: run {shown}: {RUN_KEY_RULE}")
    return key
