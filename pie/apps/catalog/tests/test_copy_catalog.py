"""``manage.py copy_catalog`` against a stand-in discovery and LMS over real HTTP (edx-rest-api-client talks)."""

import io
import json
import time
import uuid

import pytest
from django.core.management import CommandError, call_command
from edx_django_utils.cache import TieredCache

from pie.apps.catalog import fetching
from pie.apps.catalog.models import Program, ProgramCourse, ProgramRun
from pie.apps.catalog.tests.discovery import CLIENT_ID, StandInDiscovery, answer, program

P1, P2, P3 = (uuid.UUID(int=n, version=4) for n in (1, 2, 3))
RUN_A1, RUN_A2, RUN_B1 = "course-v1:edX+A+1T2025", "course-v1:edX+A+2T2025", "course-v1:edX+B+1T2025"


@pytest.fixture
def discovery(settings):
    stand_in = StandInDiscovery(
        [
            program(P1, "Data", courses={"edX+A": [RUN_A1, RUN_A2], "edX+B": [RUN_B1]}),
            program(P2, "Design", status="retired", courses={"edX+A": [RUN_A2]}),
            program(P3, "Empty", courses={}),
        ]
    ).start()
    for name, value in stand_in.settings().items():
        setattr(settings, name, value)
    settings.PIE_CATALOG_REQUEST_TIMEOUT_SECONDS = 2
    settings.PIE_CATALOG_COPY_TIMEOUT_SECONDS = 20
    settings.PIE_CATALOG_MAX_PAGES = 10
    settings.PIE_CATALOG_MAX_PAGE_BYTES = 100_000
    settings.PIE_CATALOG_MAX_RETRY_AFTER_SECONDS = 0.2
    yield stand_in
    stand_in.stop()


def copy(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("copy_catalog", "--page-size", "2", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def catalog() -> dict:
    """The catalog as stored: program uuid -> (title, status, {course key: {run keys}})."""
    held = {p.uuid: (p.title, p.status, {}) for p in Program.objects.all()}
    for course in ProgramCourse.objects.select_related("program"):
        held[course.program.uuid][2][course.course_key] = set()
    for run in ProgramRun.objects.select_related("course__program"):
        held[run.course.program.uuid][2][run.course.course_key].add(run.run_key)
    return held


@pytest.mark.django_db
class TestCopy:
    def test_fills_the_catalog_page_by_page_with_the_runs_each_program_counts(self, discovery):
        out, err = copy()
        assert catalog() == {
            P1: ("Data", "active", {"edX+A": {RUN_A1, RUN_A2}, "edX+B": {RUN_B1}}),
            P2: ("Design", "retired", {"edX+A": {RUN_A2}}),
            P3: ("Empty", "active", {}),
        }
        assert out.strip() == "Copied 3 programs from course-discovery: 3 added, 0 changed, 0 unchanged."
        assert err.splitlines() == [
            "course-discovery page 1: 2 of 3 programs read",
            "course-discovery page 2: 3 of 3 programs read",
        ]
        # Every page was asked as credentials asks, with the LMS's JWT.
        assert [request["query"].get("exclude_utm") for request in discovery.requests] == ["1", "1"]
        assert all(request["authorization"].startswith("JWT ") for request in discovery.requests)

    def test_a_refresh_rewrites_what_changed_and_keeps_a_missing_program(self, discovery):
        copy()
        discovery.programs = [
            program(P1, "Data science", courses={"edX+A": [RUN_A1, RUN_A2], "edX+B": [RUN_B1]}),
            program(P2, "Design", status="retired", courses={"edX+A": [RUN_A1]}),
        ]
        out, _ = copy()
        assert out.strip() == (
            "Copied 2 programs from course-discovery: 0 added, 2 changed, 0 unchanged; "
            "1 missing from the listing kept (--delete removes them)."
        )
        held = catalog()
        assert held[P1][0] == "Data science"
        assert held[P2][2] == {"edX+A": {RUN_A1}}
        assert held[P3] == ("Empty", "active", {})

    def test_delete_removes_the_programs_a_complete_listing_misses(self, discovery):
        copy()
        discovery.programs = discovery.programs[:2]
        out, _ = copy("--delete")
        assert "1 removed (missing from the listing)" in out
        assert set(catalog()) == {P1, P2}

    def test_a_copy_that_changes_nothing_writes_nothing(self, discovery, django_assert_max_num_queries):
        copy()
        stamps = dict(Program.objects.values_list("uuid", "changed_at"))
        with django_assert_max_num_queries(8) as context:
            out, _ = copy()
        assert out.strip() == "Copied 3 programs from course-discovery: 0 added, 0 changed, 3 unchanged."
        assert dict(Program.objects.values_list("uuid", "changed_at")) == stamps
        writes = [q["sql"] for q in context.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
        assert writes == []

    def test_a_page_that_fails_once_is_retried(self, discovery):
        discovery.page_faults = {2: [503, 500]}
        out, _ = copy()
        assert "3 added" in out
        assert set(catalog()) == {P1, P2, P3}


@pytest.mark.django_db
class TestACopyThatCannotFinishChangesNothing:
    """Discovery or the LMS fails: exit non-zero with one line, and the catalog stays as it was."""

    @pytest.fixture(autouse=True)
    def copied_once(self, discovery):
        copy()
        self.before = catalog()
        discovery.programs = [program(P1, "Renamed", courses={"edX+C": ["course-v1:edX+C+1T2025"]})]

    def fails(self, match: str) -> None:
        with pytest.raises(CommandError) as raised:
            copy("--delete")
        message = str(raised.value)
        assert message.startswith("The catalog was not copied (nothing changed): ")
        assert match in message
        assert "\n" not in message
        assert catalog() == self.before

    def test_a_page_that_keeps_failing(self, discovery):
        discovery.programs = discovery.programs * 3  # two pages
        discovery.programs[2:] = [program(uuid.uuid4(), f"P{n}") for n in range(2)]
        discovery.page_faults = {2: [500] * 10}
        self.fails("course-discovery answered 500 to GET")

    @pytest.mark.parametrize(
        ("answer", "match"),
        [
            (b"<html>Bad gateway</html>", "is not JSON"),
            (b'{"count": 1}', "is not a listing"),
            (b'{"results": [{"uuid": "nope"}], "next": null}', "without a valid uuid"),
            (
                b'{"results": [{"uuid": "%s", "title": "T", "status": "archived", "courses": []}], "next": null}'
                % str(P1).encode(),
                "status 'archived' is not one PIE knows",
            ),
            (
                b'{"results": [{"uuid": "%s", "title": "T", "status": "active", '
                b'"courses": [{"key": "edX+A", "course_runs": [{"key": "edX A run"}]}]}], "next": null}'
                % str(P1).encode(),
                "run 'edX A run': Not a course run key that can count",
            ),
        ],
    )
    def test_an_answer_of_another_shape(self, discovery, answer, match):
        discovery.page_faults = {1: [answer]}
        self.fails(match)

    @pytest.mark.parametrize(
        ("run_key", "shown"),
        [
            ("ccx-v1:edX+A+1T2025+ccx@3", "'ccx-v1:edX+A+1T2025+ccx@3'"),
            ("library-v1:edX+Lib", "'library-v1:edX+Lib'"),
            ("course-v1:edX+A+" + "x" * 250, "'course-v1:edX+A+xxxxxxxxxxxxxxxxxxxxxxxx'..."),
        ],
    )
    def test_a_run_key_that_cannot_count_stops_the_copy(self, discovery, run_key, shown):
        # The run-key rule of every door (catalog.run_keys): a CCX or library key, or one too long.
        discovery.programs = [program(P1, "Renamed", courses={"edX+A": [RUN_A1, run_key]})]
        self.fails(f"program {P1}: run {shown}: Not a course run key that can count")

    def test_a_discovery_that_never_answers_fails_in_bounded_time(self, discovery, settings):
        settings.PIE_CATALOG_REQUEST_TIMEOUT_SECONDS = 0.3
        discovery.hang_page = 1
        started = time.monotonic()
        self.fails("no answer within the timeout")
        # Four attempts of 0.3 s and their back-off: a generous bound on a promised one.
        assert time.monotonic() - started < 30

    def test_a_discovery_that_is_down(self, discovery, settings):
        discovery.stop()
        self.fails("the connection was refused")


@pytest.mark.django_db
def test_the_lms_refuses_the_client_credentials(discovery, settings):
    settings.BACKEND_SERVICE_EDX_OAUTH2_SECRET = "wrong"
    with pytest.raises(
        CommandError, match=r"the LMS gave no access token for PIE's client credentials: refused \(HTTP 401\)$"
    ):
        copy()
    assert discovery.requests == []
    assert catalog() == {}


@pytest.mark.django_db
def test_without_its_settings_the_command_names_them(discovery, settings):
    settings.COURSE_CATALOG_API_URL = None
    settings.BACKEND_SERVICE_EDX_OAUTH2_KEY = ""
    with pytest.raises(CommandError, match=r"^Set COURSE_CATALOG_API_URL, BACKEND_SERVICE_EDX_OAUTH2_KEY to copy"):
        copy()


def listing(results: list[dict], *, next_url: str | None = None, count: int | None = None) -> bytes:
    """A page of discovery's listing, as bytes to answer."""
    return json.dumps(
        {"count": len(results) if count is None else count, "next": next_url, "results": results}
    ).encode()


@pytest.mark.django_db
class TestTheCopyIsBoundedAndStaysHome:
    """A hostile or broken discovery or LMS: the copy stops with one line, exit 1, the catalog kept."""

    @pytest.fixture(autouse=True)
    def copied_once(self, discovery):
        copy()
        self.before = catalog()

    def fails(self, match: str) -> str:
        with pytest.raises(CommandError) as raised:
            copy("--delete")
        message = str(raised.value)
        assert message.startswith("The catalog was not copied (nothing changed): ")
        assert match in message, message
        assert "\n" not in message
        assert "Traceback" not in message
        assert catalog() == self.before
        return message

    def test_a_next_link_that_loops_stops_the_copy(self, discovery):
        discovery.page_faults = {2: [listing([program(P3)], next_url=discovery.page_url(2))] * 50}
        self.fails(f"course-discovery's page 2 links back to a page already read: {discovery.page_url(2)}")
        assert len(discovery.requests) == 2 + 2  # the first copy's two pages, then pages 1 and 2 once

    def test_endless_distinct_pages_stop_at_the_page_limit(self, discovery, settings):
        settings.PIE_CATALOG_MAX_PAGES = 3
        discovery.programs = [program(uuid.uuid4(), f"P{n}") for n in range(20)]
        self.fails("course-discovery's listing goes on past 3 pages (PIE_CATALOG_MAX_PAGES)")
        assert len(discovery.requests) == 2 + 3

    @pytest.mark.parametrize("drip", ["headers", "body"])
    def test_a_page_answered_a_byte_at_a_time_stops_at_the_deadline_of_an_answer(self, discovery, settings, drip):
        # Each byte comes well within the read timeout: only a deadline for the whole answer stops it.
        settings.PIE_CATALOG_REQUEST_TIMEOUT_SECONDS = 0.5
        discovery.page_faults = {1: [answer(200, listing([]), drip=drip)] * 4}
        message = self.fails("no answer within the timeout (0.5 s an answer)")
        first = f"{discovery.url}/api/v1/programs/?exclude_utm=1&page_size=2"
        assert message.endswith(
            f"course-discovery could not be read at {first}: no answer within the timeout (0.5 s an answer)"
        )

    def test_a_token_given_a_byte_at_a_time_stops_at_the_deadline_of_an_answer(self, discovery, settings):
        settings.PIE_CATALOG_REQUEST_TIMEOUT_SECONDS = 0.5
        TieredCache.dangerous_clear_all_tiers()  # no token cached: PIE asks the LMS
        discovery.token_answer = answer(200, b'{"access_token": "t", "expires_in": 3600}', drip="body")
        self.fails("the LMS gave no access token for PIE's client credentials: no answer within the timeout")

    def test_the_copy_as_a_whole_has_a_deadline(self, discovery, settings):
        settings.PIE_CATALOG_REQUEST_TIMEOUT_SECONDS = 5
        settings.PIE_CATALOG_COPY_TIMEOUT_SECONDS = 0.5
        discovery.page_faults = {1: [answer(200, listing([]), drip="body")]}
        self.fails("the copy did not finish within 0.5 s (PIE_CATALOG_COPY_TIMEOUT_SECONDS)")

    def test_retry_after_is_capped_and_said(self, discovery):
        discovery.page_faults = {2: [answer(503, b"{}", headers={"Retry-After": "100000"})]}
        out, err = copy()
        assert "0 added" in out
        said = [line for line in err.splitlines() if "Retry-After" in line]
        assert said == [
            f"course-discovery answered 503 to GET {discovery.page_url(2)}: Retry-After 100000 s, "
            "waiting 0.2 s (PIE_CATALOG_MAX_RETRY_AFTER_SECONDS)"
        ]

    def test_a_next_link_to_another_origin_is_not_followed(self, discovery):
        elsewhere = StandInDiscovery([program(uuid.uuid4(), "Theirs")]).start()
        try:
            discovery.page_faults = {1: [listing([program(P1)], next_url=elsewhere.page_url(1))]}
            self.fails(f"course-discovery's page 1 links to {elsewhere.page_url(1)}, off its origin {discovery.url}")
            # Another port is another origin, so is another scheme.
            other_scheme = discovery.page_url(2).replace("http://", "https://")
            discovery.page_faults = {1: [listing([program(P1)], next_url=other_scheme)]}
            self.fails(f"course-discovery's page 1 links to {other_scheme}, off its origin")
            # A redirect elsewhere is not followed either.
            discovery.page_faults = {1: [answer(302, headers={"Location": elsewhere.page_url(1)})]}
            self.fails("course-discovery answered 302 to GET")
            assert elsewhere.requests == []
            assert elsewhere.token_requests == 0
        finally:
            elsewhere.stop()

    @pytest.mark.parametrize("length", [True, False], ids=["declared", "undeclared"])
    def test_a_page_larger_than_the_byte_cap_stops_the_copy(self, discovery, settings, length):
        settings.PIE_CATALOG_MAX_PAGE_BYTES = 10_000
        big = listing([program(uuid.uuid4(), "x" * 200) for _ in range(100)])
        assert len(big) > 20_000
        discovery.page_faults = {1: [answer(200, big, length=length)]}
        self.fails("is larger than 10000 bytes (PIE_CATALOG_MAX_PAGE_BYTES)")

    def test_delete_refuses_a_listing_whose_count_says_programs_were_skipped(self, discovery):
        discovery.page_faults = {1: [listing(discovery.programs[:2], count=3)]}
        self.fails("course-discovery's listing counts 3 programs but 2 were read: --delete needs a whole listing")
        # Without --delete nothing is removed, so the copy goes on.
        discovery.page_faults = {1: [listing(discovery.programs[:2], count=3)]}
        out, _ = copy()
        assert "1 missing from the listing kept" in out

    def test_a_token_discovery_refuses_is_dropped_from_the_cache_and_asked_again_once(self, discovery):
        asked = discovery.token_requests
        discovery.rotate_token()
        out, _ = copy()
        assert "3 unchanged" in out
        assert discovery.token_requests == asked + 1
        out, _ = copy()  # the new token is cached
        assert discovery.token_requests == asked + 1

    def test_a_token_discovery_refuses_twice_stops_the_copy_and_is_not_kept(self, discovery):
        asked = discovery.token_requests
        discovery.rotate_token()
        discovery.token_answer = answer(200, b'{"access_token": "stale", "expires_in": 3600}')
        self.fails("course-discovery answered 401 to GET")
        assert discovery.token_requests == asked + 1
        discovery.token_answer = None
        out, _ = copy()
        assert "3 unchanged" in out
        assert discovery.token_requests == asked + 2

    def test_the_token_is_cached_under_the_key_pie_drops(self, discovery):
        # edx-rest-api-client's cache key is private to it: this is the check of its pin.
        session = fetching.Client(
            provider_url=f"{discovery.url}/oauth2", client_id=CLIENT_ID, client_secret="unused", timeout=1
        )
        assert TieredCache.get_cached_response(session.token_cache_key).is_found
        session.drop_token()
        assert not TieredCache.get_cached_response(session.token_cache_key).is_found

    @pytest.mark.parametrize(
        "body",
        [
            b'{"access_token": "t", "expires_in": "3600"}',
            b'{"access_token": "t", "expires_in": null}',
            b'{"access_token": "t", "expires_in": 1e300}',
            b'{"access_token": "t", "expires_in": NaN}',
            b'["access_token", "expires_in"]',
            b'{"access_token": "t\\r\\nX-Forged: 1", "expires_in": 3600}',
            b'{"access_token": 7, "expires_in": 3600}',
            b'{"access_token": "", "expires_in": 3600}',
        ],
    )
    def test_a_token_endpoint_that_lies(self, discovery, body):
        TieredCache.dangerous_clear_all_tiers()  # no token cached: PIE asks the LMS
        discovery.token_answer = answer(200, body)
        self.fails("the LMS gave no access token for PIE's client credentials: an answer that is not a token")
        # Nothing of it stays cached: the next copy asks the LMS again.
        discovery.token_answer = None
        out, _ = copy()
        assert "3 unchanged" in out

    @pytest.mark.parametrize(
        ("body", "match"),
        [
            (
                b'{"results": [{"uuid": "%s", "title": "\\ud800", "status": "active", "courses": []}], "next": null}'
                % str(P1).encode(),
                f"program {P1}: its title is missing, too long or not text",
            ),
            (
                b'{"results": [{"uuid": "%s", "title": "T", "status": "active", '
                b'"courses": [{"key": "edX+\\udfff", "course_runs": []}]}], "next": null}' % str(P1).encode(),
                f"program {P1}: a course without a key or a list of runs",
            ),
            (b"[" * 100_000 + b"]" * 100_000, "is not JSON"),
            (b'{"results": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "is not JSON"),
        ],
        ids=["surrogate-title", "surrogate-course", "deep", "deep-results"],
    )
    def test_an_odd_page(self, discovery, settings, body, match):
        settings.PIE_CATALOG_MAX_PAGE_BYTES = 1_000_000
        discovery.page_faults = {1: [body]}
        self.fails(match)

    @pytest.mark.parametrize(
        "text",
        [
            "0000000000000000-4000800000000001",
            "0000-0000-0000-4000-8000-0000-0000-0001",
            "00000000-0000-4000-8000-0000-00000001",
            "{00000000-0000-4000-8000-000000000001}",
            "urn:uuid:00000000-0000-4000-8000-000000000001",
            "00000000000040008000000000000001",
        ],
    )
    def test_a_uuid_with_stray_hyphens_or_other_dress_stops_the_copy(self, discovery, text):
        item = dict(program(P1), uuid=text)
        discovery.page_faults = {1: [listing([item])]}
        self.fails("course-discovery's page 1 lists a program without a valid uuid")
