"""Clients calling PIE as a micro-frontend's browser does: from an origin, with the edX JWT cookies, enforcing CSRF."""

from rest_framework.test import APIClient

from pie.apps.api.tests.mfe import MFE_ORIGIN
from pie.apps.core.tokens import mint_lms_jwt

CSRF_URL = "/csrf/api/v1/token"
FOREIGN_ORIGIN = "http://evil.example.com"
MFE_HEADERS = ["authorization", "content-type", "use-jwt-cookie", "x-csrftoken"]


def cors_headers(response) -> dict:
    headers = {name.lower(): value for name, value in response.headers.items()}
    return {name: value for name, value in headers.items() if name.startswith("access-control-")}


def browser_client(*, origin: str = MFE_ORIGIN, jwt_cookie_for: int | None = 7) -> APIClient:
    """A client that sends ``Origin``, enforces CSRF and, unless ``None``, carries the learner's edX JWT cookie pair."""
    client = APIClient(enforce_csrf_checks=True, HTTP_ORIGIN=origin, HTTP_USE_JWT_COOKIE="true")
    if jwt_cookie_for is not None:
        token = mint_lms_jwt(lms_user_id=jwt_cookie_for, username=f"learner{jwt_cookie_for}")
        header_payload, signature = token.rsplit(".", 1)
        client.cookies["edx-jwt-cookie-header-payload"] = header_payload
        client.cookies["edx-jwt-cookie-signature"] = signature
    return client


def csrf_token(client: APIClient) -> str:
    """Fetch the token as a micro-frontend does; the answer also sets PIE's CSRF cookie on the client."""
    response = client.get(CSRF_URL)
    assert response.status_code == 200
    return response.json()["csrfToken"]
