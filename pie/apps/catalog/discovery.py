"""
Reading the program catalog from course-discovery, as the credentials service does.

``GET {COURSE_CATALOG_API_URL}programs/?exclude_utm=1&page_size=N``, page after page by
``next``, through edx-rest-api-client's ``OAuthAPIClient`` (``fetching``: each answer and the
copy have a deadline, a page a size cap, a server error is asked again a few times). The walk
is bounded too: at most ``Limits.max_pages`` pages, a ``next`` that links back to a page
already read stops it, and so does one off discovery's origin (scheme, host and port), before
any request is sent there. A listing that is not of the expected shape fails the same way,
with ``CatalogUnavailable``, whose message is one line: a copy is all or nothing.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from pie.apps.catalog import fetching
from pie.apps.catalog.fetching import CatalogUnavailable, Client, Limits
from pie.apps.catalog.models import ProgramStatus
from pie.apps.catalog.run_keys import RUN_KEY_RULE, is_countable_run_key

__all__ = ["CatalogUnavailable", "Limits", "ListedProgram", "client", "listed_programs"]

# A program's uuid as discovery writes it: uuid.UUID() would also take stray hyphens, braces or a urn.
UUID_SHAPE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ListedProgram:
    """A program as discovery lists it: its courses, each with the run keys this program counts."""

    uuid: uuid.UUID
    title: str
    status: str
    courses: dict[str, frozenset[str]]


def client(*, provider_url: str, client_id: str, client_secret: str, timeout: float) -> Client:
    """An ``OAuthAPIClient`` for the LMS's token, with each request's socket timeout."""
    return Client(provider_url=provider_url, client_id=client_id, client_secret=client_secret, timeout=timeout)


def listed_programs(
    session: Client,
    *,
    api_url: str,
    page_size: int,
    limits: Limits,
    complete: bool = False,
    on_page: Callable[[int, int, int | None], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> list[ListedProgram]:
    """
    Every program of discovery's listing, read page by page; ``on_page(page, programs read,
    count listed)`` after each, ``on_wait(line)`` before a wait that discovery asked for. With
    ``complete``, the listing's own ``count`` must be the number of programs read (so that a
    program missing from it is truly gone). Raises ``CatalogUnavailable`` (one line) if any of
    it fails.
    """
    clock = fetching.Clock(limits)
    home = _origin(api_url)
    url: str | None = api_url.rstrip("/") + "/programs/?" + urlencode({"exclude_utm": 1, "page_size": page_size})
    read: set[tuple] = set()
    programs: dict[uuid.UUID, ListedProgram] = {}
    counts: list[int] = []
    fetching.authenticate(session, clock)
    page = 0
    while url:
        if page == limits.max_pages:
            raise CatalogUnavailable(f"course-discovery's listing goes on past {page} pages (PIE_CATALOG_MAX_PAGES)")
        read.add(_page_key(url))
        body = fetching.page(session, url, clock=clock, on_wait=on_wait)
        page += 1
        results, url = body.get("results"), body.get("next")
        if not isinstance(results, list) or not (url is None or isinstance(url, str)):
            raise CatalogUnavailable(f"course-discovery's page {page} is not a listing (no results list or next link).")
        if url is not None and _origin(url) != home:
            raise CatalogUnavailable(
                f"course-discovery's page {page} links to {_shown(url)}, off its origin {_home(api_url)}: not followed"
            )
        if url is not None and _page_key(url) in read:
            raise CatalogUnavailable(f"course-discovery's page {page} links back to a page already read: {_shown(url)}")
        for item in results:
            program = _program(item, page=page)
            programs[program.uuid] = program
        count = body.get("count")
        count = count if isinstance(count, int) and not isinstance(count, bool) else None
        if count is not None:
            counts.append(count)
        if on_page is not None:
            on_page(page, len(programs), count)
    if complete and (not counts or set(counts) != {len(programs)}):
        said = f"counts {counts[-1]} programs" if counts else "gives no count of its programs"
        raise CatalogUnavailable(
            f"course-discovery's listing {said} but {len(programs)} were read: --delete needs a whole listing"
        )
    return list(programs.values())


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of ``url``, the port made explicit; None for what is not an http(s) URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return None
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def _home(api_url: str) -> str:
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}"


def _page_key(url: str) -> tuple:
    """A page's address whatever the order of its query's parameters."""
    parts = urlsplit(url)
    return _origin(url), parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


def _shown(url: str) -> str:
    """A URL from the listing, fit for a one-line message."""
    return url if len(url) <= 200 and url.isascii() and url.isprintable() and " " not in url else f"{url[:200]!r}"


def _text(value) -> bool:
    """A non-empty string that the database can store (no lone surrogate), of at most 255 characters."""
    if not isinstance(value, str) or not 0 < len(value) <= 255:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _program(item, *, page: int) -> ListedProgram:
    """A listed program, checked; ``CatalogUnavailable`` naming it if it is not of the expected shape."""
    if not isinstance(item, dict):
        raise CatalogUnavailable(f"course-discovery's page {page} lists something that is not a program")
    text = item.get("uuid")
    if not isinstance(text, str) or not UUID_SHAPE.fullmatch(text):
        raise CatalogUnavailable(f"course-discovery's page {page} lists a program without a valid uuid")
    program_uuid = uuid.UUID(text)
    title, status, courses = item.get("title"), item.get("status"), item.get("courses")
    if not _text(title):
        raise CatalogUnavailable(f"program {program_uuid}: its title is missing, too long or not text")
    if not isinstance(status, str) or status not in ProgramStatus.values:
        raise CatalogUnavailable(f"program {program_uuid}: status {status!r} is not one PIE knows")
    if not isinstance(courses, list):
        raise CatalogUnavailable(f"program {program_uuid}: its courses are not a list")
    runs_of_course: dict[str, set[str]] = {}
    for course in courses:
        key = course.get("key") if isinstance(course, dict) else None
        runs = course.get("course_runs", []) if isinstance(course, dict) else None
        if not _text(key) or not isinstance(runs, list):
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
