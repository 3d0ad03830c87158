"""The OpenAPI schema at /api/schema/ and its Swagger UI at /api-docs/."""

import re

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict:
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_the_schema_is_public_even_with_a_bad_token():
    response = APIClient(HTTP_AUTHORIZATION="JWT not-a-token").get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "paths" in response.json()


def test_the_schema_names_both_endpoints(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/program_intents/"]) == {"post", "get"}
    assert set(paths["/api/v1/program_intents/most_recent_and_certain/"]) == {"get"}


def test_the_schema_documents_the_program_reads(schema):
    paths = schema["paths"]
    engagement = paths["/api/v1/programs/{program_uuid}/engagement/"]["get"]
    learners = paths["/api/v1/programs/{program_uuid}/learners/"]["get"]
    history = paths["/api/v1/program_intents/"]["get"]
    assert {p["name"] for p in engagement["parameters"]} == {"program_uuid", "as_of"}
    assert {p["name"] for p in learners["parameters"]} == {"program_uuid", "certainty", "reason", "cursor", "page_size"}
    assert {p["name"] for p in history["parameters"]} == {"program_uuid", "lms_user_id", "cursor", "page_size"}
    page = {"$ref": "#/components/schemas/ProgramIntentPage"}
    for operation in (learners, history):
        assert operation["responses"]["200"]["content"]["application/json"]["schema"] == page
        assert {"400", "401", "403"} <= set(operation["responses"])
    counts = schema["components"]["schemas"]["ProgramEngagementResponse"]["properties"]
    assert set(counts) == {"program_uuid", "learners", "by_certainty", "by_reason", "as_of"}


def test_both_endpoints_require_the_jwt_security_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["JwtAuth"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "Authorization")
    for path, method in (
        ("/api/v1/program_intents/", "post"),
        ("/api/v1/program_intents/most_recent_and_certain/", "get"),
    ):
        assert {"JwtAuth": []} in schema["paths"][path][method]["security"]


def test_the_post_documents_its_body_its_intent_and_its_errors(schema):
    post = schema["paths"]["/api/v1/program_intents/"]["post"]
    body = post["requestBody"]["content"]
    assert set(body) == {"application/json", "application/x-www-form-urlencoded"}
    request = schema["components"]["schemas"]["ProgramIntentCreateRequest"]
    assert set(request["required"]) == {"program_uuid", "reason", "certainty"}
    assert request["additionalProperties"] is False
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProgramIntentResponse"
    }
    for code in ("400", "401", "403"):
        assert post["responses"][code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }


def test_the_error_shape_is_documented(schema):
    error = schema["components"]["schemas"]["ErrorResponse"]
    assert set(error["properties"]) == {"detail", "error_code", "errors"}
    assert set(error["required"]) == {"detail", "error_code"}


def test_reasons_and_certainties_are_enums_from_the_domain(schema):
    components = schema["components"]["schemas"]
    assert "LEARNER_STATED" in components["IntentReasonEnum"]["enum"]
    assert components["IntentCertaintyEnum"]["enum"] == ["CERTAIN_YES", "CERTAIN_NO", "MAYBE"]


def test_swagger_ui_is_served():
    response = APIClient().get("/api-docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b'url: "/api/schema"' in response.content


def test_swagger_ui_loads_its_files_from_pies_static_files_and_nothing_from_outside():
    page = APIClient().get("/api-docs/").content.decode()

    assert re.findall(r"https?://|cdn|jsdelivr|unpkg", page, flags=re.IGNORECASE) == []
    files = re.findall(r'(?:src|href)="([^"]+)"', page)
    prefix = f"{settings.STATIC_URL}drf_spectacular_sidecar/swagger-ui-dist/"
    assert {name.removeprefix(prefix) for name in files} == {
        "favicon-32x32.png",
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
    }
    for name in files:
        assert finders.find(name.removeprefix(settings.STATIC_URL)), name


def test_the_schema_documents_the_csrf_token_endpoint(schema):
    token = schema["paths"]["/csrf/api/v1/token"]
    assert set(token) == {"get"}
    assert "security" not in token["get"]
    assert token["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CsrfTokenResponse"
    }


def test_the_bulk_post_documents_both_bodies_its_answer_and_its_413(schema):
    post = schema["paths"]["/api/v1/program_intents/bulk/"]["post"]
    body = post["requestBody"]["content"]
    assert set(body) == {"application/json", "text/csv"}
    assert body["text/csv"]["schema"]["type"] == "string"
    request = schema["components"]["schemas"]["ProgramIntentBulkRequest"]
    item = schema["components"]["schemas"]["BulkIntentRequest"]
    assert request["properties"]["intents"]["items"] == {"$ref": "#/components/schemas/BulkIntentRequest"}
    assert set(item["required"]) == {"lms_user_id", "program_uuid", "reason", "certainty", "effective_timestamp"}
    assert item["additionalProperties"] is False
    assert post["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProgramIntentBulkResponse"
    }
    assert {"400", "401", "403", "413", "415"} <= set(post["responses"])
    assert {"JwtAuth": []} in post["security"]
