"""
PIE from a real browser (headless Chromium): the program dashboard micro-frontend on its
own origin, and the Swagger UI with nothing but PIE to load it from.

PIE runs in pytest-django's ``live_server`` (a threaded server on ``localhost``, over a
transactional database); the page's origin is ``http://localhost:1996`` (``mfe.py``).
"""

import contextlib
import uuid

import pytest
from rest_framework.test import APIClient

from pie.apps.api.tests.mfe import MFE_ORIGIN, lms_login_cookies, mfe_page, serve_mfe_page
from pie.apps.core.tokens import mint_lms_jwt
from pie.apps.intents import services
from pie.apps.intents.models import ProgramIntent
from pie.tests.browser import in_chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def what_the_page_saw(browser, url: str) -> dict:
    page = browser.new_page()
    page.goto(url)
    page.wait_for_function("window.pieSeen !== undefined", timeout=30_000)
    return page.evaluate("window.pieSeen")


def test_the_program_dashboard_reads_and_records_with_the_edx_jwt_cookie(live_server):
    known, _ = services.record_intent(
        lms_user_id=7, program_uuid=uuid.UUID(int=1), reason="ENROLLED_ALL_COURSES", certainty="MAYBE"
    )
    intent = {
        "program_uuid": str(uuid.UUID(int=2)),
        "reason": "LEARNER_STATED",
        "certainty": "CERTAIN_YES",
        "effective_timestamp": "2024-03-01T00:00:00Z",
    }
    page = mfe_page(
        pie_url=live_server.url,
        intent=intent,
        header_token=mint_lms_jwt(lms_user_id=8, username="learner8"),
    )
    cookies = lms_login_cookies(mint_lms_jwt(lms_user_id=7, username="learner7"))

    with serve_mfe_page(page=page, cookies=cookies) as url:
        seen = in_chromium(lambda browser: what_the_page_saw(browser, url))

    assert url.startswith(MFE_ORIGIN)
    # The LMS's halves are in the browser: the page's script sees header.payload, never the signature.
    assert seen["scriptSees"].startswith("edx-jwt-cookie-header-payload=")
    assert "edx-jwt-cookie-signature" not in seen["scriptSees"]
    assert seen["list"].get("status") == 200, seen
    assert [item["id"] for item in seen["list"]["body"]] == [known.id]
    assert seen["csrf"]["status"] == 200, seen
    assert seen["csrf"]["body"]["csrfToken"]
    # Without X-CSRFToken the cookie does not authenticate a write (edx-drf-extensions' 401);
    # the page can read why, because the refusal carries the CORS headers too.
    assert seen["postWithoutCsrfToken"]["status"] == 401, seen
    assert seen["postWithoutCsrfToken"]["body"]["error_code"] == "not_authenticated"
    assert seen["post"]["status"] == 201, seen
    assert {key: seen["post"]["body"][key] for key in intent} == intent
    assert seen["post"]["body"]["lms_user_id"] == 7
    listed = {item["program_uuid"] for item in seen["listAfterPost"]["body"]}
    assert listed == {str(known.program_uuid), intent["program_uuid"]}
    # A header-authenticated call sends no cookie and needs no CSRF token.
    assert seen["headerPost"]["status"] == 201, seen
    assert seen["headerPost"]["body"]["lms_user_id"] == 8

    recorded = ProgramIntent.objects.filter(program_uuid=intent["program_uuid"]).order_by("lms_user_id")
    assert [(row.lms_user_id, row.reason, row.certainty) for row in recorded] == [
        (7, "LEARNER_STATED", "CERTAIN_YES"),
        (8, "LEARNER_STATED", "CERTAIN_YES"),
    ]
    assert ProgramIntent.objects.count() == 3


def rendered_operations(browser, *, pie_url: str, operation_count: int) -> tuple[set, list[str]]:
    """The (METHOD, path) of every operation the Swagger UI shows, and the requests it was refused."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page = browser.new_page()
    refused = []

    def only_pie(route):
        if route.request.url.startswith(f"{pie_url}/"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", only_pie)
    page.goto(f"{pie_url}/api-docs/")
    with contextlib.suppress(PlaywrightTimeoutError):  # the test's assertions say what is missing
        page.wait_for_function(f"document.querySelectorAll('.opblock').length >= {operation_count}", timeout=15_000)
    operations = page.eval_on_selector_all(
        ".opblock",
        """blocks => blocks.map(block => [
            block.querySelector('.opblock-summary-method').textContent.trim(),
            block.querySelector('.opblock-summary-path').dataset.path,
        ])""",
    )
    return {tuple(operation) for operation in operations}, refused


def test_the_api_docs_render_every_operation_from_pie_alone(live_server):
    schema = APIClient().get("/api/schema/?format=json").json()
    operations = {
        (method.upper(), path) for path, item in schema["paths"].items() for method in item if method in HTTP_METHODS
    }
    assert ("POST", "/api/v1/program_intents/") in operations

    shown, refused = in_chromium(
        lambda browser: rendered_operations(browser, pie_url=live_server.url, operation_count=len(operations))
    )

    assert shown == operations
    assert refused == []
