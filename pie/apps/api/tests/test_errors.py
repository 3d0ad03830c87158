"""The one error shape: every failure, inside DRF or not, DEBUG or not, answers JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from rest_framework import exceptions
from rest_framework.test import APIClient

from pie.apps.api.errors import api_exception_handler
from pie.apps.intents.exceptions import InvalidIntentError
from pie.tests.support.api_clients import CREATE_URL

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status_code: int, error_code: str):
    assert response.status_code == status_code
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) <= {"detail", "error_code", "errors"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["error_code"] == error_code
    return body


ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    """Run the test without, then with, DEBUG: Django answers errors with HTML pages under DEBUG."""
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    "url", ["/no-such-page/", "/api/v1/no_such_endpoint/", "/api/v1/program_intents/12/", "/api/v2/program_intents/"]
)
def test_unknown_urls_are_json_404s(url, debug):
    assert_error_shape(APIClient().get(url), 404, "not_found")


def test_a_bad_host_header_is_a_json_400(debug):
    assert_error_shape(APIClient().get("/health/", HTTP_HOST="evil.example.com"), 400, "bad_request")


@pytest.mark.urls("pie.apps.api.tests.failing_urls")
def test_a_failing_plain_django_view_is_a_json_500(debug):
    client = APIClient(raise_request_exception=False)
    assert_error_shape(client.get("/fail/"), 500, "server_error")


def test_a_csrf_failure_outside_drf_is_a_json_403(debug):
    response = APIClient(enforce_csrf_checks=True).post("/admin/login/", {"username": "x", "password": "y"})
    body = assert_error_shape(response, 403, "csrf_failed")
    assert "CSRF" in body["detail"]


def test_an_api_error_asked_for_as_html_keeps_its_json_error_body(debug):
    response = APIClient().get("/api/v1/program_intents/most_recent_and_certain/", HTTP_ACCEPT="text/html")
    assert_error_shape(response, 401, "not_authenticated")
    assert response.headers["WWW-Authenticate"] == 'JWT realm="api"'


@pytest.mark.urls("pie.apps.api.tests.failing_urls")
def test_an_html_error_page_becomes_the_error_shape_of_its_status_and_keeps_its_headers():
    response = APIClient().get("/html-gone/")
    body = assert_error_shape(response, 410, "gone")
    assert body["detail"] == "Gone."
    assert response.headers["Retry-After"] == "120"
    assert response.headers["Content-Length"] == str(len(response.content))


@pytest.mark.urls("pie.apps.api.tests.failing_urls")
def test_a_streamed_html_error_becomes_the_error_shape_too():
    response = APIClient().get("/streamed-html-error/")
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(b"".join(response.streaming_content)) == {
        "detail": "Service Unavailable.",
        "error_code": "service_unavailable",
    }


def test_an_unknown_api_path_is_a_json_404_under_the_local_settings(tmp_path):
    # The local settings themselves (DEBUG on), loaded fresh in a subprocess.
    probe = (
        "import django, json; django.setup(); from django.conf import settings; from django.test import Client; "
        "r = Client(HTTP_HOST='localhost').get('/api/v1/no_such_endpoint/'); "
        "print(json.dumps([settings.DEBUG, r.status_code, r['Content-Type'], r.json()]))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PIE_CFG")}
    env = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "pie.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'local.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    debug, status, content_type, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert (debug, status, content_type) == (True, 404, "application/json")
    assert body == {"detail": "Not found.", "error_code": "not_found"}


def test_a_failing_api_view_is_a_json_500(learner, intent_body):
    learner.raise_request_exception = False
    with mock.patch("pie.apps.api.v1.views.intents.services.record_intent", side_effect=RuntimeError("a bug")):
        response = learner.post(CREATE_URL, intent_body(), format="json")
    assert_error_shape(response, 500, "server_error")


def test_validation_errors_list_each_field():
    response = api_exception_handler(exceptions.ValidationError({"reason": ["Unknown reason."]}), {})
    assert response.status_code == 400
    assert response.data == {
        "detail": "The request is not valid; see errors for each field at fault.",
        "error_code": "invalid_request",
        "errors": {"reason": ["Unknown reason."]},
    }


def test_domain_validation_errors_become_400s_per_field():
    response = api_exception_handler(InvalidIntentError({"certainty": "Unknown certainty."}), {})
    assert response.status_code == 400
    assert response.data["errors"] == {"certainty": ["Unknown certainty."]}


def test_errors_not_about_a_field_are_listed_as_non_field_errors():
    response = api_exception_handler(exceptions.ValidationError(["The body must be an object."]), {})
    assert response.data["errors"] == {"non_field_errors": ["The body must be an object."]}


def test_an_explicit_code_on_a_drf_error_becomes_the_error_code():
    response = api_exception_handler(exceptions.PermissionDenied("No.", code="custom_reason"), {})
    assert (response.status_code, response.data) == (403, {"detail": "No.", "error_code": "custom_reason"})


def test_unexpected_exceptions_are_left_to_the_500_handler():
    assert api_exception_handler(RuntimeError("a bug"), {}) is None


@pytest.mark.parametrize(("charset", "status"), [("rot13", 400), ("zlib_codec", 400), ("no-such-charset", 404)])
def test_a_charset_that_is_not_a_text_encoding_is_400(charset, status):
    """
    Through PIE's WSGI handler, as gunicorn calls it (the test client builds Django's own
    request), on a path that needs no database: an unknown one, 404 once the charset passes.
    """
    import io
    import sys

    from pie.apps.core.charsets import Handler

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/v1/no_such_endpoint/",
        "QUERY_STRING": "x=1",
        "CONTENT_TYPE": f"text/plain; charset={charset}",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
    }
    started = []
    body = b"".join(Handler()(environ, lambda line, headers: started.append(line)))
    assert started[0].startswith(str(status))
    if status == 400:
        assert json.loads(body)["error_code"] == "unsupported_charset"


def test_a_body_over_djangos_limit_is_413(settings, client_with_token):
    from pie.apps.core.tokens import mint_lms_jwt

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = client_with_token(mint_lms_jwt(lms_user_id=7, username="learner7"))
    response = client.post(CREATE_URL, '{"x": "' + "a" * 2000 + '"}', content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error_code"] == "request_too_large"


# Codecs that cannot decode the requests below: text codecs whose decoders raise
# UnicodeError (not UnicodeDecodeError), and codecs that are not text codecs at all.
UNDECODABLE = ["punycode", "idna", "rot13", "zlib", "base64", "uu", "bz2", "hex", "quopri"]


def _doors():
    """Each door that reads a query or a body: (who, method, path, content type, data)."""
    intent = {
        "program_uuid": "6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e",
        "reason": "BUNDLE_PURCHASE",
        "certainty": "CERTAIN_YES",
        "effective_timestamp": "2024-01-01T00:00:00Z",
    }
    bulk_item = {**intent, "lms_user_id": 7, "reason": "RÉSERVÉ"}  # non-ASCII: not text of those codecs
    csv_body = "user_id,program_uuid,intent_reason,intent_certainty,effective_time\n7,é,X,Y,Z\n"
    json_body = json.dumps({**intent, "x": "é"}, ensure_ascii=False).encode()
    bulk_body = json.dumps({"intents": [bulk_item]}, ensure_ascii=False).encode()
    form = "program_uuid=6e1e5a3c-1e38-4f0c-9a44-3b9f1f0c6a2e&reason=R%C3%89SERV%C3%89&certainty=MAYBE"
    return {
        "query string": ("learner", "get", "most_recent_and_certain/?program_uuid=%C3%A9&x=1", "text/plain", b""),
        "form body": ("learner", "post", "", "application/x-www-form-urlencoded", form.encode()),
        "JSON body": ("learner", "post", "", "application/json", json_body),
        "bulk JSON body": ("staff", "post", "bulk/", "application/json", bulk_body),
        "bulk CSV body": ("staff", "post", "bulk/", "text/csv", csv_body.encode()),
        "admin form": ("browser", "post", "/admin/login/", "application/x-www-form-urlencoded", form.encode()),
    }


DOORS = _doors()


@pytest.mark.parametrize("door", sorted(DOORS))
@pytest.mark.parametrize("charset", UNDECODABLE)
def test_a_charset_that_cannot_decode_the_request_is_400_at_every_door(door, charset):
    """Through PIE's WSGI handler, as gunicorn calls it: whatever the codec raises, a 400, never a 500."""
    from pie.apps.api.tests.wsgi import WsgiClient
    from pie.apps.core.tokens import mint_lms_jwt

    who, method, path, content_type, data = DOORS[door]
    tokens = {
        "learner": mint_lms_jwt(lms_user_id=7, username="learner7"),
        "staff": mint_lms_jwt(lms_user_id=900, username="service_worker", administrator=True),
    }
    headers = {"HTTP_AUTHORIZATION": f"JWT {tokens[who]}"} if who in tokens else {}
    if who == "browser":  # past the CSRF cookie check, so that Django reads the form
        headers["HTTP_COOKIE"] = "csrftoken=" + "a" * 32
    client = WsgiClient(**headers)
    url = path if path.startswith("/") else f"{CREATE_URL}{path}"
    content = f"{content_type}; charset={charset}"
    # generic(): the bytes as they are (post() would encode them in the charset), and the
    # Content-Type of a GET too.
    response = client.generic(method.upper(), url, data, content_type=content, CONTENT_TYPE=content)
    assert response.status_code == 400, response.content
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error_code"] == "unsupported_charset"
    assert charset in response.json()["detail"]
