"""``manage.py copy_catalog`` against a stand-in discovery and LMS over real HTTP (edx-rest-api-client talks)."""

import io
import time
import uuid

import pytest
from django.core.management import CommandError, call_command

from pie.apps.catalog.models import Program, ProgramCourse, ProgramRun
from pie.apps.catalog.tests.discovery import StandInDiscovery, program

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
